"""`adsync reconcile` and `adsync conflicts` end to end against the sandbox."""

from __future__ import annotations

import json
from collections.abc import Callable

from adsync_pipeline.domain.model import EntityType
from adsync_pipeline.sandbox.reddit_state import AD_ACCOUNT_ID
from adsync_pipeline.store.campaign_sets import CampaignSetRepository
from tests.reconcile.conftest import Pushed, run_cli


def test_reconcile_list_and_resolve(pushed: Callable[..., Pushed]) -> None:
    setup = pushed()
    campaign = setup.load().campaigns[0]
    setup.edit("campaigns", campaign.sync.platform_id, name="Renamed on Reddit")
    CampaignSetRepository(setup.db).update_entity_fields(
        EntityType.CAMPAIGN, campaign.id, {"name": "Renamed locally"}
    )

    (result,) = json.loads(run_cli("reconcile", "--account", AD_ACCOUNT_ID, "--json").output)
    assert result["conflicts"] == 1 and result["list_calls"] == 3

    (conflict,) = json.loads(run_cli("conflicts", "list", "--json").output)
    assert (conflict["field"], conflict["remote"]) == ("name", "Renamed on Reddit")
    assert "Renamed locally" in run_cli("conflicts", "list").output

    resolved = json.loads(
        run_cli(
            "conflicts",
            "resolve",
            str(conflict["id"]),
            "--use",
            "platform",
            "--by",
            "ann",
            "--json",
        ).output
    )
    assert resolved["sync_status"] == "synced"
    assert resolved["conflict"]["resolved_by"] == "ann"
    assert run_cli("conflicts", "list").output.strip() == "no open conflicts"
    assert "resolved: platform by ann" in run_cli("conflicts", "list", "--all").output
    assert "0 pulled" in run_cli("reconcile").output

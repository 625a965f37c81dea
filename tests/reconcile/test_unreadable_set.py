"""An unreadable set of the account does not stop `adsync reconcile` for the others."""

from __future__ import annotations

import json
from collections.abc import Callable

from sqlalchemy import text

from adsync_pipeline.examples.generator import generate_campaign_set
from adsync_pipeline.sandbox.reddit_state import AD_ACCOUNT_ID
from adsync_pipeline.store.campaign_sets import CampaignSetRepository
from tests.reconcile.conftest import Pushed, run_cli


def test_reconcile_skips_an_unreadable_set(pushed: Callable[..., Pushed]) -> None:
    setup = pushed()
    repo = CampaignSetRepository(setup.db)
    doc = generate_campaign_set(1, name="Poisoned set", ad_account_id=AD_ACCOUNT_ID)
    poisoned = repo.import_set(doc).campaign_set_id
    with setup.db.engine.begin() as conn:
        sqlite = conn.dialect.name == "sqlite"
        conn.execute(
            text(
                "UPDATE campaigns SET budget_amount = "
                + (":v" if sqlite else "CAST(:v AS NUMERIC)")
                + " WHERE campaign_set_id = :id"
            ),
            {"v": "10000000000000000000000000000" if sqlite else "NaN", "id": poisoned},
        )
    campaign = setup.load().campaigns[0]
    setup.edit("campaigns", campaign.sync.platform_id, name="Renamed on Reddit")

    (result,) = json.loads(run_cli("reconcile", "--account", AD_ACCOUNT_ID, "--json").output)
    assert result["pulled"] == 1
    assert setup.load().campaigns[0].name == "Renamed on Reddit"

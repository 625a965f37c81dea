"""Re-importing the authoring file after reconcile pulled platform edits, and resuming a paused
set: over real HTTP against the Reddit sandbox, on SQLite and PostgreSQL.

The file is what a person keeps on disk: re-importing it unchanged must not quietly undo an
edit made in Ads Manager, and `resume` must not activate what the file authors as paused.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from click.testing import CliRunner, Result

from adsync_pipeline.api.app import create_app
from adsync_pipeline.cli import _register
from adsync_pipeline.cli.base import cli
from adsync_pipeline.domain.model import Campaign, CampaignSet, EntityStatus, SyncStatus
from adsync_pipeline.sandbox.reddit import RunningSandbox
from adsync_pipeline.store.api_keys import ApiKeyRepository
from adsync_pipeline.store.campaign_sets import CampaignSetRepository
from adsync_pipeline.store.db import Database
from adsync_pipeline.sync.runner import run_push
from tests.api.conftest import EXAMPLE, FAST_STREAMS, serve
from tests.reconcile.conftest import run_cli

RENAMED = "Summer Sale - Shoes (renamed in Ads Manager)"
SHOES = "campaigns[shoes]"
RUNNERS = f"{SHOES}.ad_groups[runners-us]"


def invoke(*args: str) -> Result:
    _register()
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


@dataclass
class Authored:
    """The example set imported from a file with `adsync import` and pushed to the sandbox."""

    db: Database
    sandbox: RunningSandbox
    path: Path
    set_id: int

    def document(self) -> dict[str, Any]:
        return json.loads(self.path.read_text())

    def write(self, document: dict[str, Any]) -> None:
        self.path.write_text(json.dumps(document))

    def load(self) -> CampaignSet:
        return CampaignSetRepository(self.db).load(self.set_id)

    def campaign(self, key: str) -> Campaign:
        (campaign,) = [c for c in self.load().campaigns if c.key == key]
        return campaign

    def platform(self, kind: str, platform_id: str | None) -> dict[str, Any]:
        assert platform_id is not None
        return self.sandbox.state.snapshot()[kind][platform_id]

    def edit_in_ads_manager(self, kind: str, platform_id: str | None, **fields: Any) -> None:
        assert platform_id is not None
        response = httpx.patch(f"{self.sandbox.admin_url}/{kind}/{platform_id}", json=fields)
        response.raise_for_status()

    def reconcile(self) -> dict[str, Any]:
        (result,) = json.loads(run_cli("reconcile", "--json").output)
        return result

    def plan(self) -> dict[str, Any]:
        return json.loads(run_cli("plan", str(self.set_id), "--json").output)

    def push(self) -> None:
        result = run_push(self.db, self.set_id)
        assert not result.failed and not result.refused and not result.skipped, result


@pytest.fixture
def authored(connected: Database, reddit_sandbox: RunningSandbox, tmp_path: Path) -> Authored:
    path = tmp_path / "summer.json"
    path.write_text(EXAMPLE.read_text())
    imported = json.loads(run_cli("import", str(path), "--json").output)
    setup = Authored(connected, reddit_sandbox, path, imported["campaign_set_id"])
    setup.push()
    return setup


def updates(plan: dict[str, Any]) -> list[tuple[str, str, str]]:
    return [(o["op"], o["entity"], o["key"]) for o in plan["operations"] if o["op"] != "noop"]


# --- re-import after a pull ---------------------------------------------------------------


def test_reimport_that_would_undo_a_pulled_rename_is_refused_until_forced(
    authored: Authored,
) -> None:
    shoes = authored.campaign("shoes")
    authored.edit_in_ads_manager("campaigns", shoes.sync.platform_id, name=RENAMED)
    assert authored.reconcile()["pulled"] == 1
    revision = authored.load().revision

    refused = invoke("import", str(authored.path))

    assert refused.exit_code == 2
    assert refused.stdout == ""
    assert f"{SHOES}.name: {RENAMED!r} pulled from the platform at " in refused.stderr
    assert "the document sets 'Summer Sale - Shoes'" in refused.stderr
    assert f"adsync import {authored.path} --force" in refused.stderr
    # Nothing written: the pulled name stands, nothing is pending, the plan pushes nothing.
    after = authored.campaign("shoes")
    assert (after.name, after.sync.sync_status) == (RENAMED, SyncStatus.SYNCED)
    assert authored.load().revision == revision
    assert authored.plan()["writes"] == 0

    as_json = invoke("import", str(authored.path), "--json")
    assert as_json.exit_code == 2
    body = json.loads(as_json.stdout)
    assert body["imported"] is False
    ((revert),) = body["reverts"]
    assert (revert["path"], revert["pulled"], revert["document"]) == (
        f"{SHOES}.name",
        RENAMED,
        "Summer Sale - Shoes",
    )
    assert revert["pulled_at"].endswith("Z")

    forced = invoke("import", str(authored.path), "--force")
    assert forced.exit_code == 0, forced.output
    assert authored.campaign("shoes").name == "Summer Sale - Shoes"
    assert updates(authored.plan()) == [("update", "campaign", "shoes")]
    authored.push()
    assert authored.platform("campaigns", shoes.sync.platform_id)["name"] == "Summer Sale - Shoes"
    # Settled: the same file imports again as unchanged, and reconcile finds nothing.
    assert "unchanged" in run_cli("import", str(authored.path)).output
    assert authored.reconcile()["pulled"] == 0


def test_reimport_of_a_file_that_agrees_with_the_pull_goes_through(authored: Authored) -> None:
    shoes = authored.campaign("shoes")
    authored.edit_in_ads_manager("campaigns", shoes.sync.platform_id, name=RENAMED)
    authored.reconcile()
    document = authored.document()
    document["campaigns"][0]["name"] = RENAMED
    document["campaigns"][0]["budget"]["amount"] = 75
    authored.write(document)

    imported = json.loads(run_cli("import", str(authored.path), "--json").output)

    assert imported["updated"] == 1
    assert updates(authored.plan()) == [("update", "campaign", "shoes")]
    authored.push()
    assert authored.platform("campaigns", shoes.sync.platform_id)["name"] == RENAMED
    # The file caught up: a later rename in the file is the person's own edit, not a revert.
    document["campaigns"][0]["name"] = "Shoes, renamed in the file"
    authored.write(document)
    assert invoke("import", str(authored.path)).exit_code == 0


def test_reimport_that_would_drop_a_keyword_added_on_the_platform_is_refused(
    authored: Authored,
) -> None:
    group = authored.load().campaigns[0].ad_groups[0]
    targeting = authored.platform("ad_groups", group.sync.platform_id)["targeting"]
    keywords = [*targeting["keywords"], "Trail Shoes"]
    authored.edit_in_ads_manager(
        "ad_groups", group.sync.platform_id, targeting={**targeting, "keywords": keywords}
    )
    assert authored.reconcile()["pulled"] == 1

    refused = invoke("import", str(authored.path), "--json")

    assert refused.exit_code == 2
    ((revert),) = json.loads(refused.stdout)["reverts"]
    assert (revert["path"], revert["pulled"], revert["document"]) == (
        f"{RUNNERS}.keywords[trail shoes]",
        True,
        False,
    )
    assert "added on the platform" in revert["message"]
    assert authored.plan()["writes"] == 0

    # A file that lists it is in agreement; one that leaves it out again is the person's call.
    document = authored.document()
    document["campaigns"][0]["ad_groups"][0]["keywords"].append({"text": "Trail Shoes"})
    authored.write(document)
    assert json.loads(run_cli("import", str(authored.path), "--json").output)["changed"] is False
    document["campaigns"][0]["ad_groups"][0]["keywords"].pop()
    authored.write(document)
    assert invoke("import", str(authored.path)).exit_code == 0
    authored.push()
    after = authored.platform("ad_groups", group.sync.platform_id)["targeting"]["keywords"]
    assert "Trail Shoes" not in after


def test_reimport_that_would_bring_back_a_keyword_removed_on_the_platform_is_refused(
    authored: Authored,
) -> None:
    group = authored.load().campaigns[0].ad_groups[0]
    targeting = authored.platform("ad_groups", group.sync.platform_id)["targeting"]
    authored.edit_in_ads_manager(
        "ad_groups",
        group.sync.platform_id,
        targeting={**targeting, "keywords": ["running shoes"]},
    )
    authored.reconcile()

    refused = invoke("import", str(authored.path))

    assert refused.exit_code == 2
    assert f"{RUNNERS}.keywords[marathon training]: removed from the platform" in refused.stderr
    assert authored.plan()["writes"] == 0
    assert invoke("import", str(authored.path), "--force").exit_code == 0
    authored.push()
    after = authored.platform("ad_groups", group.sync.platform_id)["targeting"]["keywords"]
    assert sorted(after) == ["marathon training", "running shoes"]


def test_a_merge_marks_only_the_pulled_field(authored: Authored) -> None:
    """Platform renamed the campaign while the file changed its budget: reconcile merges
    (name pulled, budget pushed); the unchanged file would then undo the rename."""
    shoes = authored.campaign("shoes")
    document = authored.document()
    document["campaigns"][0]["budget"]["amount"] = 80
    authored.write(document)
    run_cli("import", str(authored.path))
    authored.edit_in_ads_manager("campaigns", shoes.sync.platform_id, name=RENAMED)
    assert authored.reconcile()["merged"] == 1
    authored.push()

    refused = invoke("import", str(authored.path), "--json")

    assert refused.exit_code == 2
    paths = [r["path"] for r in json.loads(refused.stdout)["reverts"]]
    assert paths == [f"{SHOES}.name"]
    platform = authored.platform("campaigns", shoes.sync.platform_id)
    assert platform["name"] == RENAMED


# --- resume -------------------------------------------------------------------------------


def statuses(authored: Authored) -> dict[str, tuple[str, str]]:
    """Campaign key -> (local status, configured status on the platform)."""
    return {
        c.key: (
            c.status.value,
            authored.platform("campaigns", c.sync.platform_id)["configured_status"],
        )
        for c in authored.load().campaigns
    }


def test_resume_returns_each_campaign_to_its_authored_status(authored: Authored) -> None:
    assert statuses(authored) == {"shoes": ("active", "ACTIVE"), "bags": ("paused", "PAUSED")}

    run_cli("pause", str(authored.set_id))
    assert statuses(authored) == {"shoes": ("paused", "PAUSED"), "bags": ("paused", "PAUSED")}
    run_cli("pause", str(authored.set_id))  # twice: the first pause's record stands

    run_cli("resume", str(authored.set_id))

    assert statuses(authored) == {"shoes": ("active", "ACTIVE"), "bags": ("paused", "PAUSED")}
    assert authored.plan()["writes"] == 0
    assert "unchanged" in run_cli("import", str(authored.path)).output
    # A later pause records afresh what the set is now.
    run_cli("pause", str(authored.set_id))
    run_cli("resume", str(authored.set_id))
    assert statuses(authored) == {"shoes": ("active", "ACTIVE"), "bags": ("paused", "PAUSED")}


def test_reimport_while_paused_keeps_the_pause_and_resume_restores_the_new_file(
    authored: Authored,
) -> None:
    run_cli("pause", str(authored.set_id))
    document = authored.document()
    document["campaigns"][0]["status"] = "paused"
    document["campaigns"][1]["status"] = "active"
    document["campaigns"][1]["name"] = "Summer Sale - Bags and more"
    authored.write(document)

    run_cli("import", str(authored.path))
    authored.push()

    assert statuses(authored) == {"shoes": ("paused", "PAUSED"), "bags": ("paused", "PAUSED")}
    run_cli("resume", str(authored.set_id))
    assert statuses(authored) == {"shoes": ("paused", "PAUSED"), "bags": ("active", "ACTIVE")}
    assert authored.campaign("bags").status is EntityStatus.ACTIVE


# --- the HTTP API -------------------------------------------------------------------------


@pytest.fixture
def api(authored: Authored) -> Iterator[httpx.Client]:
    key = ApiKeyRepository(authored.db).create("tests")[1]
    with serve(create_app(authored.db, stream_settings=FAST_STREAMS)) as running:
        headers = {"Authorization": f"Bearer {key}"}
        with httpx.Client(base_url=running.base_url, headers=headers, timeout=30) as http:
            yield http


def test_api_put_refuses_to_undo_a_pull_unless_forced(
    authored: Authored, api: httpx.Client
) -> None:
    shoes = authored.campaign("shoes")
    authored.edit_in_ads_manager("campaigns", shoes.sync.platform_id, name=RENAMED)
    authored.reconcile()
    url = f"/api/v1/campaign-sets/{authored.set_id}"
    body = authored.path.read_bytes()
    json_body = {"content": body, "headers": {"Content-Type": "application/json"}}

    refused = api.put(url, **json_body)

    assert refused.status_code == 409, refused.text
    error = refused.json()["error"]
    assert error["code"] == "conflict"
    assert "?force=true" in error["message"]
    ((problem),) = error["problems"]
    assert problem["path"] == f"{SHOES}.name"
    assert RENAMED in problem["message"]
    assert authored.campaign("shoes").name == RENAMED

    forced = api.put(url, params={"force": "true"}, **json_body)
    assert forced.status_code == 200, forced.text
    assert forced.json()["updated"] == 1
    assert authored.campaign("shoes").name == "Summer Sale - Shoes"


def test_api_resume_keeps_a_campaign_authored_paused(authored: Authored, api: httpx.Client) -> None:
    url = f"/api/v1/campaign-sets/{authored.set_id}"
    paused = api.post(f"{url}/pause")
    assert paused.status_code == 200 and paused.json()["refused"] is None, paused.text
    resumed = api.post(f"{url}/resume")
    assert resumed.status_code == 200 and resumed.json()["refused"] is None, resumed.text
    assert statuses(authored) == {"shoes": ("active", "ACTIVE"), "bags": ("paused", "PAUSED")}

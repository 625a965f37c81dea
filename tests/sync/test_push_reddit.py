"""The push engine end to end against the Reddit sandbox over real HTTP: `push_async` with a
connected account in a migrated store, the real adapter, client, token vault and audit log."""

from __future__ import annotations

import json
from dataclasses import replace
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
from click.testing import CliRunner

import adsync_pipeline.cli.sync  # noqa: F401  (attaches `audit` to `cli`)
from adsync_pipeline.cli.base import cli
from adsync_pipeline.domain.model import Keyword, SyncStatus
from adsync_pipeline.examples.generator import generate_campaign_set
from adsync_pipeline.imports import read_campaign_set
from adsync_pipeline.sandbox.reddit import RunningSandbox
from adsync_pipeline.sandbox.reddit_state import (
    AD_ACCOUNT_ID,
    PIXEL_ID,
    PROFILE_ID,
)
from adsync_pipeline.store.accounts import AccountRepository
from adsync_pipeline.store.campaign_sets import CampaignSetRepository
from adsync_pipeline.store.db import Database
from adsync_pipeline.store.sync_log import SyncLogRepository
from adsync_pipeline.sync.runner import push_async
from tests.sync.conftest import connect_sandbox_account

EXAMPLE = Path(__file__).parents[2] / "adsync_pipeline" / "examples" / "summer-sale.json"


@pytest.fixture
def summer(database: Database, reddit_env: None) -> int:
    """The summer sale imported, its ad account connected by a refresh token only (no cached
    funding instrument, profile or pixel: the first push looks them up)."""
    set_id = CampaignSetRepository(database).import_set(read_campaign_set(EXAMPLE))
    connect_sandbox_account(database)
    return set_id.campaign_set_id


def sandbox_state(sandbox: RunningSandbox) -> dict[str, Any]:
    return httpx.get(f"{sandbox.admin_url}/state").json()


def api_requests(sandbox: RunningSandbox) -> list[dict[str, Any]]:
    return [r for r in sandbox.requests() if r["path"].startswith("/api/v3/")]


async def test_first_push_creates_everything_and_the_second_writes_nothing(
    database: Database, summer: int, reddit_sandbox: RunningSandbox
) -> None:
    first = await push_async(database, summer, run_id="first-push")

    assert (first.synced, first.failed, first.skipped) == (8, 0, 0), first.errors
    data = sandbox_state(reddit_sandbox)
    assert [len(data[kind]) for kind in ("campaigns", "ad_groups", "posts", "ads")] == [2, 2, 2, 2]
    loaded = CampaignSetRepository(database).load(summer)
    for campaign in loaded.campaigns:
        assert campaign.sync.sync_status is SyncStatus.SYNCED
        assert campaign.sync.platform_id in data["campaigns"]
        for group in campaign.ad_groups:
            platform_group = data["ad_groups"][group.sync.platform_id]
            assert platform_group["campaign_id"] == campaign.sync.platform_id
            assert platform_group["conversion_pixel_id"] == PIXEL_ID
            assert platform_group.get("targeting", {}).get("keywords", []) == [
                k.text for k in group.keywords
            ]
            assert all(k.sync.platform_id for k in group.keywords)
            for ad in group.ads:
                platform_ad = data["ads"][ad.sync.platform_id]
                assert ad.sync.platform_data["post_id"] == platform_ad["post_id"]
                assert data["posts"][platform_ad["post_id"]]["profile_id"] == PROFILE_ID
    account = AccountRepository(database).find("reddit", AD_ACCOUNT_ID)
    assert account is not None and (account.profile_id, account.pixel_id) == (PROFILE_ID, PIXEL_ID)

    audit = SyncLogRepository(database).audit_rows(run_id="first-push", limit=1000)
    assert len(audit) == len(api_requests(reddit_sandbox)) == first.api_calls
    # No PATCH at all: each ad group's create carried its keywords and its final share.
    assert {row["method"] for row in audit} == {"GET", "POST"}
    assert all(row["http_status"] in (200, 201) for row in audit)
    assert {row["entity_type"] for row in audit if row["method"] == "POST"} == {
        "campaign",
        "ad_group",
        "ad",
    }

    reddit_sandbox.sandbox.clear_requests()
    second = await push_async(database, summer, run_id="second-push")

    assert (second.synced, second.failed, second.noop) == (0, 0, 8)
    assert [r for r in api_requests(reddit_sandbox) if r["method"] != "GET"] == []
    assert len(SyncLogRepository(database).audit_rows(run_id="second-push")) == len(
        api_requests(reddit_sandbox)
    )


def writes(sandbox: RunningSandbox) -> list[tuple[str, str]]:
    return [(r["method"], r["path"]) for r in api_requests(sandbox) if r["method"] != "GET"]


async def test_an_edited_set_pushes_shares_new_copy_and_keywords(
    database: Database, summer: int, reddit_sandbox: RunningSandbox
) -> None:
    await push_async(database, summer)
    doc = read_campaign_set(EXAMPLE)
    shoes = doc.campaigns[0]
    shoes.budget = replace(shoes.budget, amount=Decimal("60"))
    group = shoes.ad_groups[0]
    group.ads[0].headline = "60% off running shoes this summer"
    group.keywords.append(Keyword("trail", "trail running"))
    CampaignSetRepository(database).import_set(doc)
    loaded = CampaignSetRepository(database).load(summer)
    ids = {
        "campaign": loaded.campaigns[0].sync.platform_id,
        "group": loaded.campaigns[0].ad_groups[0].sync.platform_id,
        "ad": loaded.campaigns[0].ad_groups[0].ads[0].sync.platform_id,
    }
    reddit_sandbox.sandbox.clear_requests()

    result = await push_async(database, summer)

    assert result.failed == 0, result.errors
    assert sorted(writes(reddit_sandbox)) == sorted(
        [
            ("PATCH", f"/api/v3/campaigns/{ids['campaign']}"),
            ("PATCH", f"/api/v3/ad_groups/{ids['group']}"),  # its new share
            ("PATCH", f"/api/v3/ad_groups/{ids['group']}"),  # its keywords
            ("POST", f"/api/v3/profiles/{PROFILE_ID}/posts"),
            ("PATCH", f"/api/v3/ads/{ids['ad']}"),
        ]
    )
    data = sandbox_state(reddit_sandbox)
    platform_group = data["ad_groups"][ids["group"]]
    assert platform_group["goal_value"] == 60_000_000
    assert platform_group["targeting"]["keywords"][-1] == "trail running"
    new_post = data["ads"][ids["ad"]]["post_id"]
    assert data["posts"][new_post]["headline"] == "60% off running shoes this summer"
    ad = CampaignSetRepository(database).load(summer).campaigns[0].ad_groups[0].ads[0]
    assert ad.sync.platform_data["post_id"] == new_post


async def test_a_create_committed_then_answered_502_is_adopted_not_repeated(
    database: Database, summer: int, reddit_sandbox: RunningSandbox
) -> None:
    reddit_sandbox.set_faults(create_commit_then_502_count=1)

    result = await push_async(database, summer)

    assert (result.synced, result.failed) == (8, 0), result.errors
    data = sandbox_state(reddit_sandbox)
    assert [len(data[kind]) for kind in ("campaigns", "ad_groups", "posts", "ads")] == [2, 2, 2, 2]
    loaded = CampaignSetRepository(database).load(summer)
    assert {c.sync.platform_id for c in loaded.campaigns} == set(data["campaigns"])


async def test_audit_command_shows_runs_with_totals_then_calls(
    database: Database, summer: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    await push_async(database, summer, run_id="audited-push")
    monkeypatch.setenv("ADSYNC_DATABASE_URL", database.engine.url.render_as_string(False))

    shown = CliRunner().invoke(cli, ["audit", str(summer), "--json"], catch_exceptions=False)

    assert shown.exit_code == 0, shown.output
    audit = json.loads(shown.output)
    (run,) = audit["runs"]
    assert (run["run_id"], run["kind"], run["status"]) == ("audited-push", "push", "succeeded")
    assert (run["synced"], run["failed"], run["api_calls"]) == (8, 0, len(audit["calls"]))
    assert {call["run_id"] for call in audit["calls"]} == {"audited-push"}
    text = CliRunner().invoke(cli, ["audit", str(summer)], catch_exceptions=False).output
    assert "audited-push" in text and " push " in text
    assert text.index("runs (1):") < text.index(f"platform calls ({len(audit['calls'])}):")


async def test_a_lost_create_adopts_its_own_entity_not_a_same_named_one_of_another_set(
    database: Database, reddit_env: None, reddit_sandbox: RunningSandbox
) -> None:
    sets = CampaignSetRepository(database)
    connect_sandbox_account(database)
    first = sets.import_set(generate_campaign_set(1, 1, 1, name="Set A")).campaign_set_id
    second = sets.import_set(generate_campaign_set(1, 1, 1, name="Set B")).campaign_set_id
    await push_async(database, first)
    theirs = sets.load(first).campaigns[0]
    # Set B's campaign has the same name; its create is committed, then answered 502.
    assert sets.load(second).campaigns[0].name == theirs.name
    reddit_sandbox.set_faults(create_commit_then_502_count=1)

    result = await push_async(database, second)

    assert (result.synced, result.failed) == (3, 0), result.errors
    mine = sets.load(second).campaigns[0]
    assert mine.sync.platform_id != theirs.sync.platform_id
    named = [
        c for c in sandbox_state(reddit_sandbox)["campaigns"].values() if c["name"] == theirs.name
    ]
    assert sorted(c["id"] for c in named) == sorted(
        [theirs.sync.platform_id, mine.sync.platform_id]
    )

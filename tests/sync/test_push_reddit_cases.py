"""The seed's push cases and the circuit breaker, over real HTTP against the Reddit sandbox."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import timedelta
from functools import partial
from typing import Any

import httpx
import pytest

from adsync_pipeline.domain.model import EntityStatus, SyncStatus
from adsync_pipeline.examples.generator import generate_campaign_set
from adsync_pipeline.sandbox.reddit import RunningSandbox
from adsync_pipeline.sandbox.reddit_state import (
    AD_ACCOUNT_ID,
    FUNDING_INSTRUMENT_ID,
    PIXEL_ID,
    PROFILE_ID,
    UNSERVABLE_FUNDING_INSTRUMENT_ID,
)
from adsync_pipeline.security.vault import Vault
from adsync_pipeline.store.accounts import AccountRepository
from adsync_pipeline.store.campaign_sets import CampaignSetRepository
from adsync_pipeline.store.db import Database
from adsync_pipeline.store.sync_log import SyncLogRepository
from adsync_pipeline.sync.adapters import open_adapter
from adsync_pipeline.sync.breaker import BreakerPolicy
from adsync_pipeline.sync.push import PushOptions
from adsync_pipeline.sync.runner import push_async
from tests.sync.conftest import connect_sandbox_account


def state(sandbox: RunningSandbox) -> dict[str, Any]:
    return httpx.get(f"{sandbox.admin_url}/state").json()


def writes(sandbox: RunningSandbox) -> list[tuple[str, str]]:
    return [
        (r["method"], r["path"])
        for r in sandbox.requests()
        if r["path"].startswith("/api/v3/") and r["method"] != "GET"
    ]


@pytest.fixture
def ten(database: Database, reddit_env: None) -> int:
    connect_sandbox_account(database)
    doc = generate_campaign_set(10, ad_groups=1, ads=1, name="Ten campaigns")
    return CampaignSetRepository(database).import_set(doc).campaign_set_id


async def test_ten_campaigns_are_created_with_their_ids_stored(
    database: Database, ten: int, reddit_sandbox: RunningSandbox
) -> None:
    result = await push_async(database, ten)

    assert (result.synced, result.failed) == (30, 0), result.errors
    platform = state(reddit_sandbox)["campaigns"]
    local = CampaignSetRepository(database).load(ten).campaigns
    assert len(platform) == 10
    assert {c.sync.platform_id: c.name for c in local} == {
        pid: c["name"] for pid, c in platform.items()
    }


async def test_renaming_one_synced_campaign_makes_exactly_one_patch(
    database: Database, ten: int, reddit_sandbox: RunningSandbox
) -> None:
    await push_async(database, ten)
    doc = generate_campaign_set(10, ad_groups=1, ads=1, name="Ten campaigns")
    doc.campaigns[4] = replace(doc.campaigns[4], name="Campaign four, renamed")
    CampaignSetRepository(database).import_set(doc)
    campaign_id = CampaignSetRepository(database).load(ten).campaigns[4].sync.platform_id
    reddit_sandbox.sandbox.clear_requests()

    result = await push_async(database, ten)

    assert writes(reddit_sandbox) == [("PATCH", f"/api/v3/campaigns/{campaign_id}")]
    assert result.synced == 1
    assert state(reddit_sandbox)["campaigns"][campaign_id]["name"] == "Campaign four, renamed"


async def test_pausing_the_set_pauses_every_campaign_on_the_platform(
    database: Database, ten: int, reddit_sandbox: RunningSandbox
) -> None:
    await push_async(database, ten)

    result = await push_async(database, ten, status=EntityStatus.PAUSED)

    assert (result.synced, result.failed) == (10, 0)
    statuses = {c["configured_status"] for c in state(reddit_sandbox)["campaigns"].values()}
    assert statuses == {"PAUSED"}
    loaded = CampaignSetRepository(database).load(ten)
    assert loaded.status.value == "paused"


async def test_two_of_ten_rejected_by_the_platform(
    database: Database, ten: int, reddit_sandbox: RunningSandbox
) -> None:
    reddit_sandbox.set_faults(reject_names=["^Campaign 0003$", "^Campaign 0008$"])

    result = await push_async(database, ten)

    campaigns = [o for o in result.outcomes if o.entity == "campaign"]
    assert sum(o.status == "synced" for o in campaigns) == 8
    # Outcomes come in the order calls finish, which concurrency does not fix.
    failed = sorted((o for o in campaigns if o.status == "failed"), key=lambda o: o.key)
    assert [o.key for o in failed] == ["c0003", "c0008"]
    # The platform's own reason, field included, reaches the result and the store.
    assert all("400" in (o.message or "") and "name" in (o.message or "") for o in failed)
    assert {e["key"] for e in result.errors} == {"c0003", "c0008"}
    local = {c.key: c for c in CampaignSetRepository(database).load(ten).campaigns}
    assert local["c0003"].sync.sync_status is SyncStatus.FAILED
    assert local["c0003"].sync.last_error == failed[0].message
    assert len(state(reddit_sandbox)["campaigns"]) == 8


async def test_breaker_opens_under_503s_and_closes_after_recovery(
    database: Database, reddit_env: None, reddit_sandbox: RunningSandbox
) -> None:
    accounts = AccountRepository(database, Vault.from_env())
    connect_sandbox_account(database)
    account = accounts.find("reddit", AD_ACCOUNT_ID)
    assert account is not None
    # Cached resources: the first platform calls are the pushes themselves.
    accounts.cache_resources(
        account.id,
        funding_instrument_id=FUNDING_INSTRUMENT_ID,
        profile_id=PROFILE_ID,
        pixel_id=PIXEL_ID,
        currency="USD",
    )
    doc = generate_campaign_set(10, ad_groups=1, ads=1, name="Breaker set")
    set_id = CampaignSetRepository(database).import_set(doc).campaign_set_id
    # Quick retries keep the test short; the engine's behaviour is the same.
    opener = partial(open_adapter, max_attempts=2, backoff_base=0.01, backoff_max=0.05)
    # Long enough that the second push surely starts within it on a busy machine (the first
    # push goes on for a while after the breaker opens: its calls in flight, its outcome).
    cool_down = timedelta(seconds=3)
    options = PushOptions(breaker=BreakerPolicy(cool_down=cool_down), force=True)
    log = SyncLogRepository(database)
    reddit_sandbox.set_faults(force_status=503)

    failing = await push_async(database, set_id, options=options, opener=opener)

    assert failing.failed >= 1 and failing.synced == 0
    assert log.breaker("reddit", account.id).state == "open"

    reddit_sandbox.sandbox.clear_requests()
    refused = await push_async(database, set_id, options=options, opener=opener)
    assert refused.refused and "circuit breaker open" in refused.refused
    assert [r for r in reddit_sandbox.requests() if r["path"].startswith("/api/v3/")] == []

    reddit_sandbox.clear_faults()
    await asyncio.sleep(cool_down.total_seconds() + 0.1)
    recovered = await push_async(database, set_id, options=options, opener=opener)

    assert recovered.refused is None and recovered.failed == 0, recovered.errors
    assert log.breaker("reddit", account.id).state == "closed"
    names = sorted(c["name"] for c in state(reddit_sandbox)["campaigns"].values())
    assert names == sorted(c.name for c in doc.campaigns)


async def test_a_funding_instrument_that_stopped_being_servable_is_replaced(
    database: Database, ten: int, reddit_sandbox: RunningSandbox
) -> None:
    accounts = AccountRepository(database)
    account = accounts.find("reddit", AD_ACCOUNT_ID)
    assert account is not None
    accounts.cache_resources(
        account.id,
        funding_instrument_id=UNSERVABLE_FUNDING_INSTRUMENT_ID,
        profile_id=PROFILE_ID,
        pixel_id=PIXEL_ID,
        currency="USD",
    )

    result = await push_async(database, ten)

    assert result.failed == 0, result.errors
    campaigns = state(reddit_sandbox)["campaigns"].values()
    assert {c["funding_instrument_id"] for c in campaigns} == {FUNDING_INSTRUMENT_ID}
    refreshed = accounts.get(account.id)
    assert refreshed.funding_instrument_id == FUNDING_INSTRUMENT_ID

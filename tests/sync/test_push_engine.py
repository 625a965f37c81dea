"""The push engine against the in-process FakeAdapter, on SQLite and PostgreSQL.

These pin the engine's own rules (ordering, ledger, retries, breaker, adoption); the same
behaviour over real HTTP against the Reddit sandbox is in test_push_reddit.py.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from adsync_pipeline.domain.model import EntityStatus, EntityType, SyncStatus
from adsync_pipeline.examples.generator import generate_campaign_set
from adsync_pipeline.imports import read_campaign_set
from adsync_pipeline.platforms.fake import FakeAdapter
from adsync_pipeline.store.accounts import AccountRepository
from adsync_pipeline.store.campaign_sets import CampaignSetRepository
from adsync_pipeline.store.db import Database
from adsync_pipeline.store.push_ledger import NewIntent, PushLedger
from adsync_pipeline.store.sync_log import AuditEntry, SyncLogRepository
from adsync_pipeline.sync.push import AccountResources, PushEngine, PushOptions
from adsync_pipeline.sync.results import PushResult

EXAMPLE = Path(__file__).parents[2] / "adsync_pipeline" / "examples" / "summer-sale.json"


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


def account_of(db: Database, platform_account_id: str = "t2_sandbox01") -> AccountResources:
    record = AccountRepository(db).find("reddit", platform_account_id)
    assert record is not None
    return AccountResources(record.id, "reddit", platform_account_id, "fi_1", "t2_profile", "px")


def push(
    db: Database,
    adapter: FakeAdapter,
    set_id: int,
    clock: Clock | None = None,
    status: EntityStatus | None = None,
    **options: object,
) -> PushResult:
    engine = PushEngine(
        db,
        adapter,
        account_of(db),
        run_id="test-run",
        options=PushOptions(**options),  # type: ignore[arg-type]
        clock=clock or Clock(),
    )
    if status is not None:
        return asyncio.run(engine.change_status(set_id, status))
    return asyncio.run(engine.push(set_id))


def writes(adapter: FakeAdapter) -> int:
    return sum(n for call, n in adapter.calls.items() if not call.startswith(("find_", "probe")))


@pytest.fixture
def summer(database: Database) -> int:
    return CampaignSetRepository(database).import_set(read_campaign_set(EXAMPLE)).campaign_set_id


def ten_campaigns(database: Database) -> int:
    doc = generate_campaign_set(10, ad_groups=1, ads=1, keywords=2)
    return CampaignSetRepository(database).import_set(doc).campaign_set_id


def test_first_push_creates_everything_and_stores_every_id(database: Database, summer: int):
    adapter = FakeAdapter(seed=1)
    result = push(database, adapter, summer)

    assert (result.synced, result.failed, result.skipped) == (8, 0, 0)
    loaded = CampaignSetRepository(database).load(summer)
    for campaign in loaded.campaigns:
        assert campaign.sync.platform_id and campaign.sync.sync_status is SyncStatus.SYNCED
        for group in campaign.ad_groups:
            assert group.sync.platform_id
            assert all(ad.sync.platform_id for ad in group.ads)
            assert all(k.sync.platform_id for k in group.keywords)
    assert len(adapter.live(EntityType.CAMPAIGN)) == 2
    assert loaded.status.value == "active"


def test_second_push_of_unchanged_set_makes_no_write(database: Database, summer: int):
    adapter = FakeAdapter(seed=1)
    push(database, adapter, summer)
    before = writes(adapter)

    result = push(database, adapter, summer)

    assert writes(adapter) == before
    assert result.synced == 0 and result.noop == 8


def test_renaming_one_campaign_makes_exactly_one_update(database: Database):
    set_id = ten_campaigns(database)
    adapter = FakeAdapter(seed=1)
    push(database, adapter, set_id)
    doc = generate_campaign_set(10, ad_groups=1, ads=1, keywords=2)
    doc.campaigns[3] = replace(doc.campaigns[3], name="Renamed campaign")
    CampaignSetRepository(database).import_set(doc)
    adapter.calls.clear()

    result = push(database, adapter, set_id)

    assert dict(adapter.calls) == {"update_campaign": 1}
    assert result.synced == 1
    names = {r["name"] for r in adapter.live(EntityType.CAMPAIGN)}
    assert "Renamed campaign" in names


def test_rejected_campaigns_fail_with_reason_and_their_children_are_skipped(database: Database):
    set_id = ten_campaigns(database)
    adapter = FakeAdapter(seed=1, reject_names={"Campaign 0002", "Campaign 0007"})

    result = push(database, adapter, set_id)

    failed = {o.key for o in result.outcomes if o.status == "failed"}
    assert failed == {"c0002", "c0007"}
    assert result.failed == 2
    assert all(e["retryable"] is False and e["message"] for e in result.errors)
    skipped = [o for o in result.outcomes if o.status == "skipped"]
    assert {o.key.split("/")[0] for o in skipped} == {"c0002", "c0007"}
    assert all(o.message == "blocked by parent" for o in skipped)
    campaigns = CampaignSetRepository(database).load(set_id).campaigns
    synced = [c for c in campaigns if c.sync.sync_status is SyncStatus.SYNCED]
    assert len(synced) == 8
    rejected = campaigns[2]
    assert rejected.sync.sync_status is SyncStatus.FAILED and rejected.sync.last_error
    # Permanent errors are not retried by the schedule.
    assert rejected.sync.next_attempt_at is None


def test_retryable_failures_back_off_then_give_up_after_three_attempts(database: Database):
    set_id = ten_campaigns(database)
    clock = Clock()
    adapter = FakeAdapter(seed=1, failure_rate=1.0)
    options = {"retry_base": timedelta(seconds=60)}
    # Keep the breaker out of this test: it has its own.
    options["breaker"] = replace(PushOptions().breaker, min_calls=10_000)

    push(database, adapter, set_id, clock, **options)
    first = CampaignSetRepository(database).load(set_id).campaigns[0].sync
    assert (first.attempts, first.next_attempt_at) == (1, clock.now + timedelta(seconds=60))

    adapter.calls.clear()
    result = push(database, adapter, set_id, clock, **options)
    assert writes(adapter) == 0, "a retry that is not due must not call the platform"
    assert (result.failed, result.skipped) == (0, 50)

    clock.now += timedelta(seconds=61)
    push(database, adapter, set_id, clock, **options)
    second = CampaignSetRepository(database).load(set_id).campaigns[0].sync
    assert (second.attempts, second.next_attempt_at) == (2, clock.now + timedelta(seconds=120))

    clock.now += timedelta(seconds=121)
    push(database, adapter, set_id, clock, **options)
    third = CampaignSetRepository(database).load(set_id).campaigns[0].sync
    assert third.attempts == 3 and third.next_attempt_at is None

    clock.now += timedelta(days=1)
    adapter.calls.clear()
    given_up = push(database, adapter, set_id, clock, **options)
    assert writes(adapter) == 0
    assert "gave up" in (given_up.outcomes[0].message or "")

    healthy = FakeAdapter(seed=2)
    retried = push(database, healthy, set_id, clock, include_given_up=True, force=True)
    assert retried.failed == 0 and retried.synced == 50


def test_lost_creates_are_adopted_not_duplicated(database: Database):
    set_id = ten_campaigns(database)
    adapter = FakeAdapter(seed=3, lost_create_rate=1.0)

    result = push(database, adapter, set_id)

    assert result.failed == 0
    assert len(adapter.live(EntityType.CAMPAIGN)) == 10
    assert len(adapter.live(EntityType.AD_GROUP)) == 10
    assert len(adapter.live(EntityType.AD)) == 10
    loaded = CampaignSetRepository(database).load(set_id)
    assert all(c.sync.platform_id for c in loaded.campaigns)


def test_open_intent_from_a_crash_is_resolved_by_lookup(database: Database):
    """A create that reached the platform but whose id never reached the store."""
    set_id = ten_campaigns(database)
    adapter = FakeAdapter(seed=4)
    push(database, adapter, set_id)
    # Simulate the crash: forget campaign 0's id locally, leave an open intent behind.
    repo = CampaignSetRepository(database)
    campaign = repo.load(set_id).campaigns[0]
    repo.update_entity(
        EntityType.CAMPAIGN,
        campaign.id,
        platform_id=None,
        last_pushed_fingerprint=None,
        sync_status=SyncStatus.PENDING,
    )
    PushLedger(database).record_intents(
        set_id,
        "crashed-run",
        [NewIntent(EntityType.CAMPAIGN, campaign.id, "t2_sandbox01", campaign.name)],
    )

    push(database, adapter, set_id)

    assert len(adapter.live(EntityType.CAMPAIGN)) == 10
    assert repo.load(set_id).campaigns[0].sync.platform_id == campaign.sync.platform_id
    assert SyncLogRepository(database).open_intents(set_id) == []


def test_pause_and_resume_reach_every_campaign(database: Database, summer: int):
    adapter = FakeAdapter(seed=5)
    push(database, adapter, summer)

    paused = push(database, adapter, summer, status=EntityStatus.PAUSED)
    assert paused.failed == 0
    assert {r["configured_status"] for r in adapter.live(EntityType.CAMPAIGN)} == {"PAUSED"}
    loaded = CampaignSetRepository(database).load(summer)
    assert {c.status for c in loaded.campaigns} == {EntityStatus.PAUSED}
    assert loaded.status.value == "paused"

    push(database, adapter, summer, status=EntityStatus.ACTIVE)
    # Each campaign is back at its authored status: the file authors `bags` as paused.
    assert {r["name"]: r["configured_status"] for r in adapter.live(EntityType.CAMPAIGN)} == {
        "Summer Sale - Shoes": "ACTIVE",
        "Summer Sale - Bags": "PAUSED",
    }
    loaded = CampaignSetRepository(database).load(summer)
    assert {c.key: c.status for c in loaded.campaigns} == {
        "shoes": EntityStatus.ACTIVE,
        "bags": EntityStatus.PAUSED,
    }
    # Local took the new status too: a normal push has nothing left to do.
    assert push(database, adapter, summer).synced == 0


def test_breaker_opens_refuses_then_probes_and_closes(database: Database):
    set_id = ten_campaigns(database)
    clock = Clock()
    failing = FakeAdapter(seed=6, failure_rate=1.0)
    # The breaker reads its window from the audit log, which the fake does not write:
    # feed it through the same recorder the real clients use.
    log = SyncLogRepository(database)
    account = account_of(database)
    for _ in range(12):
        log.write_audit(
            AuditEntry(
                "r",
                set_id,
                account.id,
                "reddit",
                "campaign",
                "c",
                "create",
                "POST",
                "/x",
                503,
                1,
                1,
                "retryable",
                "503",
                None,
                None,
            )
        )
    result = push(database, failing, set_id, clock)
    assert "circuit breaker opened" in (result.outcomes[-1].message or "") or result.failed

    failing.calls.clear()
    refused = push(database, failing, set_id, clock, force=True)
    assert refused.refused and "circuit breaker open" in refused.refused
    assert sum(failing.calls.values()) == 0

    clock.now += timedelta(minutes=10)
    healthy = FakeAdapter(seed=7)
    recovered = push(database, healthy, set_id, clock, force=True)
    assert recovered.refused is None
    assert healthy.calls["probe"] == 1
    assert log.breaker("reddit", account.id).state == "closed"


def test_a_store_failure_stops_the_push_and_its_other_calls(
    database: Database, monkeypatch: pytest.MonkeyPatch
):
    set_id = (
        CampaignSetRepository(database)
        .import_set(generate_campaign_set(20, ad_groups=2, ads=2))
        .campaign_set_id
    )
    adapter = FakeAdapter(latency=0.01)
    commit_many = PushLedger.commit_many
    commits = 0

    def failing_commit(self: PushLedger, writes: list) -> None:
        nonlocal commits
        commits += 1
        if commits >= 5:
            raise RuntimeError("the store went away")
        commit_many(self, writes)

    monkeypatch.setattr(PushLedger, "commit_many", failing_commit)

    with pytest.raises(RuntimeError, match="the store went away"):
        push(database, adapter, set_id)

    calls_at_failure = writes(adapter)
    assert calls_at_failure < 20 + 40 + 80  # the rest were never sent
    # The other calls were cancelled, not left running against a closed ledger.
    asyncio.run(asyncio.sleep(0.05))
    assert writes(adapter) == calls_at_failure


def test_a_second_push_of_a_set_being_pushed_is_refused_and_creates_nothing(
    database: Database,
):
    set_id = ten_campaigns(database)
    adapter = FakeAdapter(latency=0.05)

    def engine(run_id: str) -> PushEngine:
        return PushEngine(database, adapter, account_of(database), run_id=run_id, clock=Clock())

    async def both() -> tuple[PushResult, PushResult]:
        first = asyncio.create_task(engine("first").push(set_id))
        while not adapter.calls:
            await asyncio.sleep(0.005)  # the first push is under way, holding the lock
        second = await engine("second").push(set_id)
        return await first, second

    first, second = asyncio.run(both())

    assert second.refused is not None and "being pushed by another process" in second.refused
    assert (second.synced, second.failed) == (0, 0)
    assert first.refused is None and first.failed == 0
    assert adapter.calls["create_campaign"] == 10  # one create each, no duplicate
    runs = {r["run_id"]: r["status"] for r in SyncLogRepository(database).runs(set_id)}
    assert runs == {"first": "succeeded", "second": "refused"}
    # Released at the end: the next push goes ahead.
    assert push(database, adapter, set_id).refused is None


LOCK_HOLDER = """
import sys, time
from adsync_pipeline.store.db import Database
from adsync_pipeline.store.push_lock import push_lock
with push_lock(Database.from_url(sys.argv[1]), int(sys.argv[2])):
    print("held", flush=True)
    time.sleep(60)
"""


def test_the_push_lock_spans_processes_and_dies_with_its_holder(database: Database):
    set_id = ten_campaigns(database)
    url = database.engine.url.render_as_string(hide_password=False)
    holder = subprocess.Popen(
        [sys.executable, "-c", LOCK_HOLDER, url, str(set_id)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        refused = push(database, FakeAdapter(), set_id)
        assert refused.refused is not None and refused.synced == 0
    finally:
        holder.kill()  # SIGKILL: no cleanup runs in the holder
        holder.wait()
    assert push(database, FakeAdapter(), set_id).synced > 0

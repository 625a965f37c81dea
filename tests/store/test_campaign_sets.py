from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, select

from adsync_pipeline.domain.fingerprint import fingerprint
from adsync_pipeline.domain.model import (
    BidStrategy,
    Device,
    EntityType,
    MatchType,
    SetStatus,
    SyncStatus,
    entity_type_of,
)
from adsync_pipeline.errors import NotFoundError
from adsync_pipeline.imports import read_campaign_set
from adsync_pipeline.store.campaign_sets import CampaignSetRepository
from adsync_pipeline.store.db import Database
from adsync_pipeline.store.models import SyncRecord
from tests.store.sets import make_set

EXAMPLE = Path(__file__).parents[2] / "adsync_pipeline" / "examples" / "summer-sale.json"


@contextmanager
def count_statements(db: Database) -> Iterator[list[str]]:
    statements: list[str] = []

    def record(*args: Any) -> None:
        statements.append(args[2])

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(db.engine, "before_cursor_execute", record)


def test_summer_sale_round_trips(database: Database) -> None:
    repo = CampaignSetRepository(database)
    result = repo.import_set(read_campaign_set(EXAMPLE))
    assert result.created and result.revision == 1
    assert result.counts == {"campaigns": 2, "ad_groups": 2, "ads": 2, "keywords": 2}

    loaded = repo.load(result.campaign_set_id)
    assert loaded.id == result.campaign_set_id
    assert (loaded.name, loaded.platform, loaded.ad_account_id) == (
        "Summer Sale 2026",
        "reddit",
        "t2_sandbox01",
    )
    shoes, bags = loaded.campaigns
    assert shoes.budget.amount == Decimal("50") and bags.budget.amount == Decimal("1200")
    assert bags.end_time == datetime(2026, 12, 31, 23, tzinfo=UTC)
    runners = shoes.ad_groups[0]
    assert runners.bidding.strategy is BidStrategy.MANUAL_CPC
    assert runners.bidding.amount == Decimal("1.25")
    assert runners.targeting.subreddits == ("running", "marathon")
    assert runners.targeting.devices == (Device.MOBILE, Device.DESKTOP)
    assert [k.match_type for k in runners.keywords] == [MatchType.BROAD, MatchType.PHRASE]
    assert bags.ad_groups[0].bidding.amount == Decimal("6")
    # What was stored is what was read: the same fingerprints as the document.
    doc = read_campaign_set(EXAMPLE)
    assert fingerprint(doc.campaigns[0].ad_groups[0]) == fingerprint(runners)
    assert fingerprint(doc.campaigns[0].ad_groups[0].ads[0]) == fingerprint(runners.ads[0])
    every = [shoes, bags, runners, *runners.ads, *runners.keywords]
    assert all(e.sync.sync_status is SyncStatus.PENDING and e.id for e in every)


def test_load_statement_count_is_constant(database: Database) -> None:
    repo = CampaignSetRepository(database)
    small = repo.import_set(make_set(1, name="Small")).campaign_set_id
    large = repo.import_set(make_set(500, 2, 2, 2, name="Large")).campaign_set_id
    with count_statements(database) as small_statements:
        assert len(repo.load(small).campaigns) == 1
    with count_statements(database) as large_statements:
        loaded = repo.load(large)
    assert len(loaded.campaigns) == 500
    assert sum(len(g.ads) for c in loaded.campaigns for g in c.ad_groups) == 2000
    assert len(small_statements) == len(large_statements) <= 6


def _mark_synced(repo: CampaignSetRepository, set_id: int) -> None:
    loaded = repo.load(set_id)
    for campaign in loaded.campaigns:
        entities = [campaign, *campaign.ad_groups]
        entities += [e for g in campaign.ad_groups for e in (*g.ads, *g.keywords)]
        for entity in entities:
            assert entity.id is not None
            repo.update_entity(
                entity_type_of(entity),
                entity.id,
                platform_id=f"p{entity.id}",
                sync_status=SyncStatus.SYNCED,
                last_pushed_fingerprint=fingerprint(entity),
            )


def test_reimport_updates_in_place(database: Database) -> None:
    repo = CampaignSetRepository(database)
    first = repo.import_set(make_set(2, 1, 2, 1, name="Re"))
    _mark_synced(repo, first.campaign_set_id)
    before = repo.load(first.campaign_set_id)

    doc = make_set(2, 1, 2, 1, name="Re")
    doc.campaigns[0].name = "Campaign zero, renamed"
    doc.campaigns[1].ad_groups[0].ads.pop()  # c1/g0/a1 is gone
    doc.campaigns[1].ad_groups[0].keywords[0].text = "KW 0"  # same key, new text
    result = repo.import_set(doc)

    assert not result.created and result.campaign_set_id == first.campaign_set_id
    assert result.revision == 2
    assert (result.updated, result.removed, result.added) == (2, 1, 0)
    after = repo.load(result.campaign_set_id)
    renamed, untouched = after.campaigns
    assert renamed.id == before.campaigns[0].id
    assert renamed.sync.sync_status is SyncStatus.PENDING
    assert renamed.sync.platform_id == before.campaigns[0].sync.platform_id
    assert untouched.sync.sync_status is SyncStatus.SYNCED
    gone = untouched.ad_groups[0].ads[1]
    assert gone.sync.removed and gone.sync.sync_status is SyncStatus.PENDING
    assert untouched.ad_groups[0].keywords[0].sync.sync_status is SyncStatus.PENDING

    # Back to what was pushed: synced again, and the removed ad is revived.
    result = repo.import_set(make_set(2, 1, 2, 1, name="Re"))
    assert result.revision == 3
    again = repo.load(result.campaign_set_id)
    assert again.campaigns[0].sync.sync_status is SyncStatus.SYNCED
    revived = again.campaigns[1].ad_groups[0].ads[1]
    assert revived.id == gone.id and not revived.sync.removed

    # Nothing changed: no new revision.
    assert repo.import_set(make_set(2, 1, 2, 1, name="Re")).revision == 3


def test_update_entity_records_sync_and_errors(database: Database) -> None:
    repo = CampaignSetRepository(database)
    set_id = repo.import_set(make_set(1, name="Upd")).campaign_set_id
    ad = repo.load(set_id).campaigns[0].ad_groups[0].ads[0]
    assert ad.id is not None
    repo.update_entity(EntityType.AD, ad.id, sync_status=SyncStatus.FAILED, last_error="boom")
    repo.update_entity(EntityType.AD, ad.id, attempts=2, last_error="bang")
    repo.update_entity(EntityType.AD, ad.id, platform_id="t3_x", sync_status=SyncStatus.SYNCED)
    loaded = repo.load(set_id).campaigns[0].ad_groups[0].ads[0]
    assert (loaded.sync.platform_id, loaded.sync.attempts) == ("t3_x", 2)
    assert loaded.sync.last_error == "bang"
    with database.transaction() as session:
        record = session.scalars(select(SyncRecord)).one()
    assert (record.entity_type, record.entity_id, record.platform) == ("ad", ad.id, "reddit")
    assert (record.platform_id, record.sync_status) == ("t3_x", "synced")
    assert [e["error"] for e in (record.error_log or {})["errors"]] == ["boom", "bang"]

    with pytest.raises(NotFoundError, match="ad 999999 not found"):
        repo.update_entity(EntityType.AD, 999999, attempts=1)
    with pytest.raises(TypeError):
        repo.update_entity(EntityType.AD, ad.id, name="not a sync column")


def test_update_entity_fields(database: Database) -> None:
    repo = CampaignSetRepository(database)
    set_id = repo.import_set(make_set(1, name="Fields")).campaign_set_id
    group = repo.load(set_id).campaigns[0].ad_groups[0]
    assert group.id is not None
    repo.update_entity_fields(
        EntityType.AD_GROUP, group.id, {"bid_amount": "1.5", "subreddits": ["rust"]}
    )
    loaded = repo.load(set_id).campaigns[0].ad_groups[0]
    assert loaded.bidding.amount == Decimal("1.5")
    assert loaded.targeting.subreddits == ("rust",) and loaded.targeting.locations == ("US",)


def test_list_status_archive_and_unknown_ids(database: Database) -> None:
    repo = CampaignSetRepository(database)
    set_id = repo.import_set(make_set(3, 2, 2, 1, name="Listed")).campaign_set_id
    now = datetime(2026, 12, 1, tzinfo=UTC)
    repo.set_status(
        set_id, status=SetStatus.ACTIVE, sync_status=SyncStatus.SYNCED, last_synced_at=now
    )
    (summary,) = repo.list()
    assert (summary.campaigns, summary.ad_groups, summary.ads, summary.keywords) == (3, 6, 12, 6)
    assert (summary.status, summary.sync_status, summary.last_synced_at) == (
        SetStatus.ACTIVE,
        SyncStatus.SYNCED,
        now,
    )
    assert summary.ad_account_id == "t2_gen"
    found = repo.find_by_name("t2_gen", "Listed")
    assert found is not None and found.id == set_id
    assert repo.find_by_name("t2_gen", "Nope") is None
    repo.archive(set_id)
    assert repo.load(set_id).status is SetStatus.ARCHIVED
    with pytest.raises(NotFoundError, match="campaign set 4242 not found"):
        repo.load(4242)
    with pytest.raises(NotFoundError):
        repo.set_status(4242, status=SetStatus.PAUSED)


def test_failed_import_writes_nothing(database: Database) -> None:
    repo = CampaignSetRepository(database)
    doc = make_set(2, name="Atomic")
    doc.campaigns[1].ad_groups[0].ads[0].key = "x" * 300  # too long for the column on PG
    doc.campaigns[1].ad_groups[0].ads[0].name = None  # type: ignore[assignment]  # NOT NULL
    with pytest.raises(Exception):  # noqa: B017 - whichever the backend raises
        repo.import_set(doc)
    assert repo.list() == []


def test_get_header_reads_the_set_row_in_one_statement(database: Database) -> None:
    repo = CampaignSetRepository(database)
    set_id = repo.import_set(make_set(20, 2, 2, 2, name="Header")).campaign_set_id
    with count_statements(database) as statements:
        header = repo.get_header(set_id)
    assert len(statements) == 1
    assert (header.id, header.name, header.platform, header.ad_account_id) == (
        set_id,
        "Header",
        "reddit",
        "t2_gen",
    )
    assert (header.status, header.sync_status, header.revision) == (
        SetStatus.DRAFT,
        SyncStatus.PENDING,
        1,
    )
    assert header.last_synced_at is None and header.archived_at is None

    now = datetime(2026, 12, 1, tzinfo=UTC)
    repo.set_status(
        set_id, status=SetStatus.ACTIVE, sync_status=SyncStatus.SYNCED, last_synced_at=now
    )
    repo.import_set(make_set(21, 2, 2, 2, name="Header"))
    header = repo.get_header(set_id)
    loaded = repo.load(set_id)
    assert (header.status, header.sync_status, header.last_synced_at, header.revision) == (
        loaded.status,
        loaded.sync_status,
        loaded.last_synced_at,
        loaded.revision,
    )
    assert header.last_synced_at == now and header.revision == 2

    repo.archive(set_id)
    header = repo.get_header(set_id)
    assert header.status is SetStatus.ARCHIVED
    assert header.archived_at is not None and header.archived_at.tzinfo is not None
    with pytest.raises(NotFoundError, match="^campaign set 4242 not found$"):
        repo.get_header(4242)


def test_import_writes_in_batches_and_gives_each_entity_its_own_id(
    database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """New rows go in executemany batches, and their ids are read back by (parent, key): a
    statement count that does not grow with the set, and no entity given another's id."""
    monkeypatch.setattr("adsync_pipeline.store.campaign_sets.INSERT_BATCH", 7)
    repo = CampaignSetRepository(database)
    repo.import_set(make_set(1, name="Other"))  # ids of another set must not be picked
    doc = make_set(6, 3, 4, 2, name="Batched")
    with count_statements(database) as statements:
        result = repo.import_set(doc)
    inserts = [s for s in statements if s.lstrip().upper().startswith("INSERT")]
    # 6 campaigns, 18 ad groups, 72 ads, 36 keywords: 1 + 3 + 11 + 6 batches and the set.
    assert len(inserts) == 22, inserts
    loaded = repo.load(result.campaign_set_id)

    def ids_by_path(campaign_set: Any) -> dict[tuple[str, ...], int | None]:
        found: dict[tuple[str, ...], int | None] = {}
        for c in campaign_set.campaigns:
            found[(c.key,)] = c.id
            for g in c.ad_groups:
                found[(c.key, g.key)] = g.id
                for e in (*g.ads, *g.keywords):
                    found[(c.key, g.key, type(e).__name__, e.key)] = e.id
        return found

    assert ids_by_path(doc) == ids_by_path(loaded)
    # Ids are per table: within a level, no two entities share one.
    levels: dict[tuple[int, str], set[int | None]] = {}
    for path, entity_id in ids_by_path(loaded).items():
        levels.setdefault((len(path), str(path[2:3])), set()).add(entity_id)
    assert sorted(len(ids) for ids in levels.values()) == [6, 18, 36, 72]

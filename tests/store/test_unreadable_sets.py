"""A stored value adsync cannot read (an unbounded amount an older adsync let in, or what
another tool wrote) makes its set unreadable: reported with the reason, never a crash, never
in the way of other sets; a valid re-import or archiving repairs it."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import text
from sqlalchemy.exc import StatementError

from adsync_pipeline.domain.model import Budget, BudgetType, CampaignSet, SetStatus, SyncStatus
from adsync_pipeline.store.campaign_sets import CampaignSetRepository, UnreadableSetError
from adsync_pipeline.store.db import Database
from tests.store.sets import make_set
from tests.store.test_campaign_sets import count_statements


def poison_amount(db: Database, table: str, column: str, entity_id: int) -> str:
    """What the old code left behind: on SQLite the text of a 29-digit amount, on
    PostgreSQL (whose NUMERIC(18,6) refused that) a NaN, which another tool can write.
    Returns the reason `load` should give."""
    with db.engine.begin() as conn:
        if conn.dialect.name == "sqlite":
            conn.execute(
                text(f"UPDATE {table} SET {column} = :v WHERE id = :id"),
                {"v": "10000000000000000000000000000", "id": entity_id},
            )
            return "10000000000000000000000000000 is beyond the store's limit"
        conn.execute(text(f"UPDATE {table} SET {column} = 'NaN' WHERE id = :id"), {"id": entity_id})
        return "is not a number"


def test_a_poisoned_amount_is_reported_and_other_sets_still_load(database: Database) -> None:
    repo = CampaignSetRepository(database)
    bad_id = repo.import_set(make_set(2, 2, 1, name="Poisoned")).campaign_set_id
    good_id = repo.import_set(make_set(1, 1, 1, name="Healthy")).campaign_set_id
    campaign = repo.load(bad_id).campaigns[1]
    reason = poison_amount(database, "campaigns", "budget_amount", campaign.id)

    with pytest.raises(UnreadableSetError) as unreadable:
        repo.load(bad_id)
    message = str(unreadable.value)
    assert message.startswith(
        f"campaign set {bad_id} 'Poisoned' cannot be read: campaign 'c1' (id {campaign.id}) "
        "budget_amount: "
    )
    assert reason in message and "re-import it from a valid file" in message
    assert "\n" not in message
    assert repo.load(good_id).name == "Healthy"

    listed = {s.id: s for s in repo.list()}
    assert listed[good_id].unreadable is None
    assert listed[bad_id].unreadable is not None
    assert listed[bad_id].unreadable.startswith(f"campaign 'c1' (id {campaign.id}) budget_amount:")
    assert repo.get_header(bad_id).name == "Poisoned"


def test_loading_stays_at_five_statements(database: Database) -> None:
    repo = CampaignSetRepository(database)
    set_id = repo.import_set(make_set(3, 2, 2, name="Counted")).campaign_set_id
    group = repo.load(set_id).campaigns[0].ad_groups[0]
    poison_amount(database, "ad_groups", "bid_amount", group.id)
    with count_statements(database) as statements, pytest.raises(UnreadableSetError):
        repo.load(set_id)
    assert len([s for s in statements if s.lstrip().upper().startswith("SELECT")]) == 5


def test_a_valid_reimport_repairs_the_set(database: Database) -> None:
    repo = CampaignSetRepository(database)
    doc = make_set(2, 1, 1, name="Repairable")
    set_id = repo.import_set(doc).campaign_set_id
    stored = repo.load(set_id)
    poison_amount(database, "campaigns", "budget_amount", stored.campaigns[0].id)
    poison_amount(database, "ad_groups", "bid_amount", stored.campaigns[1].ad_groups[0].id)

    result = repo.import_set(make_set(2, 1, 1, name="Repairable"))
    assert result.campaign_set_id == set_id and result.updated == 2
    repaired = repo.load(set_id)
    assert [c.budget.amount for c in repaired.campaigns] == [Decimal("25.5")] * 2
    assert repaired.campaigns[1].ad_groups[0].bidding.amount == Decimal("0.75")
    # Same ids, same keys: the repair rewrote the entities in place.
    assert [c.id for c in repaired.campaigns] == [c.id for c in stored.campaigns]
    assert [c.name for c in repaired.campaigns] == [c.name for c in stored.campaigns]
    assert repo.list()[0].unreadable is None


def test_archiving_an_unreadable_set_removes_its_entities(database: Database) -> None:
    """What DELETE /campaign-sets/{id} does: import it empty, then archive."""
    repo = CampaignSetRepository(database)
    set_id = repo.import_set(make_set(1, 1, 1, name="Doomed")).campaign_set_id
    campaign = repo.load(set_id).campaigns[0]
    poison_amount(database, "campaigns", "budget_amount", campaign.id)

    repo.import_set(CampaignSet(name="Doomed", platform="reddit", ad_account_id="t2_gen"))
    repo.archive(set_id)
    # Removed entities only need their platform id: the push can delete them.
    archived = repo.load(set_id)
    assert archived.campaigns[0].sync.removed
    assert repo.list()[0].unreadable is None


def test_values_another_tool_wrote(database: Database) -> None:
    repo = CampaignSetRepository(database)
    set_id = repo.import_set(make_set(1, 1, 2, name="Foreign")).campaign_set_id
    stored = repo.load(set_id)
    ad = stored.campaigns[0].ad_groups[0].ads[1]
    with database.engine.begin() as conn:
        conn.execute(
            text("UPDATE ads SET status = 'sleeping', sync_status = 'confused' WHERE id = :id"),
            {"id": ad.id},
        )
    with pytest.raises(UnreadableSetError) as unreadable:
        repo.load(set_id)
    assert unreadable.value.problems == [
        f"ad '{ad.key}' (id {ad.id}) status: 'sleeping' is not one of "
        "draft, pending, active, paused, completed, error",
        f"ad '{ad.key}' (id {ad.id}) sync_status: 'confused' is not one of "
        "pending, syncing, synced, failed, conflict",
    ]
    assert "(and 1 more)" in str(unreadable.value)

    repo.import_set(make_set(1, 1, 2, name="Foreign"))
    repaired = repo.load(set_id).campaigns[0].ad_groups[0].ads[1]
    assert repaired.status.value == "active" and repaired.sync.sync_status is SyncStatus.PENDING
    assert repaired.name == ad.name


def test_the_store_refuses_to_write_what_it_could_not_read(database: Database) -> None:
    repo = CampaignSetRepository(database)
    doc = make_set(1, 1, 1, name="Unbounded")
    doc.campaigns[0].budget = Budget(BudgetType.DAILY, Decimal("1E+28"))
    with pytest.raises(StatementError, match="beyond the store's limit"):
        repo.import_set(doc)
    assert repo.list() == []


def test_an_unknown_set_status_is_reported_and_archiving_repairs_it(database: Database) -> None:
    repo = CampaignSetRepository(database)
    set_id = repo.import_set(make_set(1, 1, 1, name="Odd status")).campaign_set_id
    with database.engine.begin() as conn:
        conn.execute(
            text("UPDATE campaign_sets SET status = 'frozen' WHERE id = :id"), {"id": set_id}
        )
    reason = "its status 'frozen' is not one of draft, pending, syncing, active, paused,"
    with pytest.raises(UnreadableSetError, match=reason):
        repo.load(set_id)
    (summary,) = repo.list()
    assert summary.unreadable is not None and summary.unreadable.startswith(reason)
    assert repo.get_header(set_id).status is SetStatus.ERROR

    repo.archive(set_id)
    assert repo.load(set_id).status is SetStatus.ARCHIVED

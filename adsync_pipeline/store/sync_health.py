"""Read-only queries over entity sync state that schedules, checks and alerts share."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select

from adsync_pipeline.domain.plan import MAX_ATTEMPTS
from adsync_pipeline.store.db import Database
from adsync_pipeline.store.models import (
    AdGroupRow,
    AdRow,
    CampaignRow,
    CampaignSetRow,
    KeywordRow,
)

FAILED = "failed"
SYNCED = "synced"

ENTITY_TABLES: dict[str, type[CampaignRow | AdGroupRow | AdRow | KeywordRow]] = {
    "campaign": CampaignRow,
    "ad_group": AdGroupRow,
    "ad": AdRow,
    "keyword": KeywordRow,
}


@dataclass(frozen=True)
class DueRetry:
    campaign_set_id: int
    ad_account_id: int
    platform: str
    # Highest attempts among the set's due entities: part of the run key, so each new
    # attempt gets a new run and the same attempt never runs twice.
    attempt: int


@dataclass(frozen=True)
class EntityState:
    entity_type: str
    key: str
    sync_status: str
    last_error: str | None


@dataclass(frozen=True)
class SetSyncHealth:
    by_status: dict[str, int]
    unsynced: list[EntityState]  # capped at the sample size
    synced_without_platform_id: list[EntityState]  # capped at the sample size


def due_retries(db: Database, now: datetime, max_attempts: int = MAX_ATTEMPTS) -> list[DueRetry]:
    """Sets with failed entities whose backoff has passed and that have attempts left."""
    attempts: dict[int, int] = {}
    with db.transaction() as session:
        for table in ENTITY_TABLES.values():
            query = (
                select(table.campaign_set_id, func.max(table.attempts))
                .where(
                    table.sync_status == FAILED,
                    table.attempts < max_attempts,
                    table.next_attempt_at.is_not(None),
                    table.next_attempt_at <= now,
                    table.removed_at.is_(None),
                )
                .group_by(table.campaign_set_id)
            )
            for set_id, top in session.execute(query):
                attempts[set_id] = max(attempts.get(set_id, 0), top)
        if not attempts:
            return []
        sets = session.execute(
            select(CampaignSetRow.id, CampaignSetRow.ad_account_id, CampaignSetRow.platform).where(
                CampaignSetRow.id.in_(attempts), CampaignSetRow.archived_at.is_(None)
            )
        ).all()
    return [
        DueRetry(set_id, account_id, platform, attempts[set_id])
        for set_id, account_id, platform in sorted(sets)
    ]


def set_sync_health(db: Database, set_id: int, sample: int = 20) -> SetSyncHealth:
    by_status: dict[str, int] = {}
    unsynced: list[EntityState] = []
    missing_ids: list[EntityState] = []
    with db.transaction() as session:
        for entity_type, table in ENTITY_TABLES.items():
            rows = session.execute(
                select(table.key, table.sync_status, table.platform_id, table.last_error).where(
                    table.campaign_set_id == set_id, table.removed_at.is_(None)
                )
            ).all()
            for key, status, platform_id, last_error in rows:
                by_status[status] = by_status.get(status, 0) + 1
                state = EntityState(entity_type, key, status, last_error)
                if status != SYNCED and len(unsynced) < sample:
                    unsynced.append(state)
                if status == SYNCED and not platform_id and len(missing_ids) < sample:
                    missing_ids.append(state)
    return SetSyncHealth(by_status, unsynced, missing_ids)

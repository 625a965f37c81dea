"""Conflicts between a local edit and a platform edit of the same field.

Rows are never deleted: resolving one records who chose which side and when. Values are
stored wrapped as `{"value": ...}` because the columns are JSON objects and a value may be
a string, a number, a list or null.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Table, func, insert, select, update

from adsync_pipeline.errors import AdsyncError, NotFoundError
from adsync_pipeline.store.db import Database
from adsync_pipeline.store.models import AdAccount, CampaignSetRow, Conflict, utcnow

CONFLICTS: Table = Conflict.__table__  # type: ignore[assignment]
SETS: Table = CampaignSetRow.__table__  # type: ignore[assignment]
ACCOUNTS: Table = AdAccount.__table__  # type: ignore[assignment]


@dataclass(frozen=True)
class ConflictRecord:
    id: int
    campaign_set_id: int
    entity_type: str
    entity_id: int
    entity_key: str
    field: str
    base: Any
    local: Any
    remote: Any
    detected_at: datetime
    resolved_at: datetime | None
    resolved_by: str | None
    resolution: str | None

    @property
    def is_open(self) -> bool:
        return self.resolved_at is None

    def to_dict(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self.__dataclass_fields__}


@dataclass(frozen=True)
class NewConflict:
    campaign_set_id: int
    entity_type: str
    entity_id: int
    entity_key: str
    field: str
    base: Any
    local: Any
    remote: Any


def _wrap(value: Any) -> dict[str, Any]:
    return {"value": value}


def _record(row: Any) -> ConflictRecord:
    return ConflictRecord(
        id=row.id,
        campaign_set_id=row.campaign_set_id,
        entity_type=row.entity_type,
        entity_id=row.entity_id,
        entity_key=row.entity_key,
        field=row.field,
        base=(row.base_value or {}).get("value"),
        local=(row.local_value or {}).get("value"),
        remote=(row.remote_value or {}).get("value"),
        detected_at=row.detected_at,
        resolved_at=row.resolved_at,
        resolved_by=row.resolved_by,
        resolution=row.resolution,
    )


class ConflictRepository:
    def __init__(self, db: Database) -> None:
        self.db = db

    def open(self, conflict: NewConflict, detected_at: datetime | None = None) -> int | None:
        """Record a conflict; None when the same entity and field already has an open one."""
        same = (
            (CONFLICTS.c.entity_type == conflict.entity_type)
            & (CONFLICTS.c.entity_id == conflict.entity_id)
            & (CONFLICTS.c.field == conflict.field)
            & CONFLICTS.c.resolved_at.is_(None)
        )
        with self.db.engine.begin() as conn:
            if conn.scalar(select(CONFLICTS.c.id).where(same)) is not None:
                return None
            return conn.scalar(
                insert(CONFLICTS)
                .values(
                    campaign_set_id=conflict.campaign_set_id,
                    entity_type=conflict.entity_type,
                    entity_id=conflict.entity_id,
                    entity_key=conflict.entity_key,
                    field=conflict.field,
                    base_value=_wrap(conflict.base),
                    local_value=_wrap(conflict.local),
                    remote_value=_wrap(conflict.remote),
                    detected_at=detected_at or utcnow(),
                )
                .returning(CONFLICTS.c.id)
            )

    def get(self, conflict_id: int) -> ConflictRecord:
        with self.db.engine.connect() as conn:
            row = conn.execute(select(CONFLICTS).where(CONFLICTS.c.id == conflict_id)).one_or_none()
        if row is None:
            raise NotFoundError(f"conflict {conflict_id} not found")
        return _record(row)

    def list(
        self,
        *,
        include_resolved: bool = False,
        ad_account_id: int | None = None,
        entity: tuple[str, int] | None = None,
    ) -> list[ConflictRecord]:
        query = select(CONFLICTS).order_by(CONFLICTS.c.id)
        if not include_resolved:
            query = query.where(CONFLICTS.c.resolved_at.is_(None))
        if ad_account_id is not None:
            query = query.join(SETS, SETS.c.id == CONFLICTS.c.campaign_set_id).where(
                SETS.c.ad_account_id == ad_account_id
            )
        if entity is not None:
            query = query.where(
                CONFLICTS.c.entity_type == entity[0], CONFLICTS.c.entity_id == entity[1]
            )
        with self.db.engine.connect() as conn:
            return [_record(row) for row in conn.execute(query)]

    def count_open(self, ad_account_id: int | None = None) -> int:
        query = select(func.count()).select_from(CONFLICTS).where(CONFLICTS.c.resolved_at.is_(None))
        if ad_account_id is not None:
            query = query.join(SETS, SETS.c.id == CONFLICTS.c.campaign_set_id).where(
                SETS.c.ad_account_id == ad_account_id
            )
        with self.db.engine.connect() as conn:
            return conn.scalar(query) or 0

    def resolve(self, conflict_id: int, resolution: str, resolved_by: str) -> ConflictRecord:
        """Close an open conflict; closing it twice is refused, so history is never rewritten."""
        with self.db.engine.begin() as conn:
            closed = conn.execute(
                update(CONFLICTS)
                .where(CONFLICTS.c.id == conflict_id, CONFLICTS.c.resolved_at.is_(None))
                .values(resolved_at=utcnow(), resolved_by=resolved_by, resolution=resolution)
            )
        if closed.rowcount == 0:
            record = self.get(conflict_id)
            raise AdsyncError(
                f"conflict {conflict_id} was already resolved ({record.resolution}) by "
                f"{record.resolved_by} at {record.resolved_at}"
            )
        return self.get(conflict_id)

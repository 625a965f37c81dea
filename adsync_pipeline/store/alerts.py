"""Alert rows: what went wrong that a person should look at."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from adsync_pipeline.store.db import Database
from adsync_pipeline.store.models import Alert, utcnow


@dataclass(frozen=True)
class AlertRecord:
    id: int
    kind: str
    message: str
    campaign_set_id: int | None
    ad_account_id: int | None
    dagster_run_id: str | None
    details: dict[str, Any] | None
    dedupe_key: str | None
    created_at: datetime
    delivered_at: datetime | None

    def to_dict(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in self.__dataclass_fields__}


def _record(row: Alert) -> AlertRecord:
    return AlertRecord(**{k: getattr(row, k) for k in AlertRecord.__dataclass_fields__})


class AlertRepository:
    def __init__(self, db: Database) -> None:
        self.db = db

    def record(
        self,
        kind: str,
        message: str,
        *,
        campaign_set_id: int | None = None,
        ad_account_id: int | None = None,
        dagster_run_id: str | None = None,
        details: dict[str, Any] | None = None,
        dedupe_key: str | None = None,
    ) -> AlertRecord | None:
        """Insert an alert; None when one with the same dedupe key already exists."""
        row = Alert(
            kind=kind,
            message=message,
            campaign_set_id=campaign_set_id,
            ad_account_id=ad_account_id,
            dagster_run_id=dagster_run_id,
            details=details,
            dedupe_key=dedupe_key,
            created_at=utcnow(),
        )
        try:
            with self.db.transaction() as session:
                session.add(row)
                session.flush()
                return _record(row)
        except IntegrityError:
            # Only the unique dedupe key can clash: another process raised it first.
            if dedupe_key is None:
                raise
            return None

    def mark_delivered(self, alert_id: int) -> None:
        with self.db.transaction() as session:
            row = session.get(Alert, alert_id)
            if row is not None:
                row.delivered_at = utcnow()

    def list(self, limit: int = 50, kind: str | None = None) -> list[AlertRecord]:
        query = select(Alert).order_by(Alert.id.desc()).limit(limit)
        if kind:
            query = query.where(Alert.kind == kind)
        with self.db.transaction() as session:
            return [_record(row) for row in session.scalars(query)]

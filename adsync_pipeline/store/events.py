"""Reading the push engine's progress events (`sync_events`), for job status and SSE.

Event ids are the order: readers resume with `after_id`. Within one run the engine writes
its events one committed transaction at a time, so ids of one request become visible in
order and a reader following a request never skips one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select

from adsync_pipeline.store.db import Database
from adsync_pipeline.store.models import SyncEvent

PROGRESS = "sync-progress"
COMPLETE = "sync-complete"
# Instead of `sync-complete` when a push stopped on an error of its own (it crashed):
# {"status": "failed", "error": its cause, and the totals reached}.
JOB_FAILED = "job-failed"
# Queued by the push engine at the start of every run, once its plan is made, and
# committed with its first outcome: {"total": entities in the plan, "writes": among them}.
START = "sync-start"


@dataclass(frozen=True)
class EventRecord:
    id: int
    campaign_set_id: int
    sync_request_id: int | None
    run_id: str | None
    event_type: str
    payload: dict[str, Any]
    created_at: datetime


@dataclass(frozen=True)
class RequestProgress:
    """Entities finished so far by the runs serving one sync request."""

    synced: int
    failed: int
    skipped: int
    # From a `sync-start` event, else from `sync-complete`, else None (not known yet).
    total: int | None
    complete: dict[str, Any] | None

    @property
    def done(self) -> int:
        return self.synced + self.failed + self.skipped


def _record(row: SyncEvent) -> EventRecord:
    return EventRecord(
        id=row.id,
        campaign_set_id=row.campaign_set_id,
        sync_request_id=row.sync_request_id,
        run_id=row.run_id,
        event_type=row.event_type,
        payload=row.payload,
        created_at=row.created_at,
    )


class EventRepository:
    def __init__(self, db: Database) -> None:
        self.db = db

    def after(
        self,
        campaign_set_id: int,
        after_id: int = 0,
        *,
        sync_request_id: int | None = None,
        limit: int = 500,
    ) -> list[EventRecord]:
        """Events of the set (of one request, when given) with ids above `after_id`."""
        query = (
            select(SyncEvent)
            .where(SyncEvent.campaign_set_id == campaign_set_id, SyncEvent.id > after_id)
            .order_by(SyncEvent.id)
            .limit(limit)
        )
        if sync_request_id is not None:
            query = query.where(SyncEvent.sync_request_id == sync_request_id)
        with self.db.sessions() as session:
            return [_record(row) for row in session.execute(query).scalars()]

    def reported(self, sync_request_id: int) -> set[tuple[str, str]]:
        """(entity type, key) of every entity the request's runs have reported on."""
        query = select(
            SyncEvent.payload["entity"].as_string(), SyncEvent.payload["key"].as_string()
        ).where(SyncEvent.sync_request_id == sync_request_id, SyncEvent.event_type == PROGRESS)
        with self.db.sessions() as session:
            return {(entity, key) for entity, key in session.execute(query)}

    def progress(self, sync_request_id: int) -> RequestProgress:
        """Counts of the request's latest run: when several runs served it (one refused or
        killed, then another), the latest one's plan is the total its counts go against."""
        status = SyncEvent.payload["status"].as_string()
        of_request = SyncEvent.sync_request_id == sync_request_id
        with self.db.sessions() as session:
            latest = session.execute(
                select(SyncEvent.run_id)
                .where(of_request, SyncEvent.event_type == START)
                .order_by(SyncEvent.id.desc())
                .limit(1)
            ).first()
            if latest is not None:
                of_request = of_request & (SyncEvent.run_id == latest.run_id)
            counts = dict(
                session.execute(
                    select(status, func.count())
                    .where(of_request, SyncEvent.event_type == PROGRESS)
                    .group_by(status)
                ).all()
            )
            markers = {
                event_type: payload
                for event_type, payload in session.execute(
                    select(SyncEvent.event_type, SyncEvent.payload)
                    .where(of_request, SyncEvent.event_type.in_((START, COMPLETE)))
                    .order_by(SyncEvent.id)
                )
            }
        complete = markers.get(COMPLETE)
        total: int | None = None
        if START in markers and isinstance(markers[START].get("total"), int):
            total = markers[START]["total"]
        elif complete is not None:
            total = sum(int(complete.get(name) or 0) for name in ("synced", "failed", "skipped"))
        return RequestProgress(
            synced=counts.get("synced", 0),
            failed=counts.get("failed", 0),
            skipped=counts.get("skipped", 0),
            total=total,
            complete=complete,
        )

"""Sync requests: the durable queue between `adsync sync` and the Dagster sensor."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select, text, update
from sqlalchemy.orm import Session

from adsync_pipeline.errors import NotFoundError
from adsync_pipeline.store.db import Database
from adsync_pipeline.store.models import CampaignSetRow, SyncRequest, utcnow

QUEUED = "queued"
RUNNING = "running"
COMPLETED = "completed"
FAILED = "failed"
FINISHED_STATUSES = (COMPLETED, FAILED)


@dataclass(frozen=True)
class SyncRequestRecord:
    id: int
    campaign_set_id: int
    revision: int
    operation: str
    requested_at: datetime
    requested_by: str | None
    trigger: str
    status: str
    dagster_run_id: str | None
    launched_at: datetime | None
    finished_at: datetime | None
    result: dict[str, Any] | None
    # Of the set, so the sensor can tag runs without another query per request.
    ad_account_id: int
    platform: str

    def to_dict(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in self.__dataclass_fields__}


def _record(row: SyncRequest, set_row: CampaignSetRow) -> SyncRequestRecord:
    return SyncRequestRecord(
        id=row.id,
        campaign_set_id=row.campaign_set_id,
        revision=row.revision,
        operation=row.operation,
        requested_at=row.requested_at,
        requested_by=row.requested_by,
        trigger=row.trigger,
        status=row.status,
        dagster_run_id=row.dagster_run_id,
        launched_at=row.launched_at,
        finished_at=row.finished_at,
        result=row.result,
        ad_account_id=set_row.ad_account_id,
        platform=set_row.platform,
    )


@dataclass(frozen=True)
class QueuedRequest:
    record: SyncRequestRecord
    # True when an earlier request of the set, not launched yet, serves this one too.
    coalesced: bool

    @property
    def id(self) -> int:
        return self.record.id


def _locked_set(session: Session, set_id: int) -> CampaignSetRow | None:
    """The set's row, locked until the transaction ends, so that one caller at a time
    decides about the set's requests."""
    if session.get_bind().dialect.name == "sqlite":
        # SQLite has no row locks: a write that changes nothing takes the database's write
        # lock first (waiting for the holder), so the reads after it see every commit.
        session.execute(
            text("UPDATE campaign_sets SET revision = revision WHERE id = :id"), {"id": set_id}
        )
    return session.scalars(
        select(CampaignSetRow).where(CampaignSetRow.id == set_id).with_for_update()
    ).first()


_JOINED = select(SyncRequest, CampaignSetRow).join(
    CampaignSetRow, CampaignSetRow.id == SyncRequest.campaign_set_id
)


class SyncRequestRepository:
    def __init__(self, db: Database) -> None:
        self.db = db

    def create(
        self,
        set_id: int,
        requested_by: str | None,
        trigger: str = "manual",
        operation: str = "push",
    ) -> QueuedRequest:
        """Queue a push of the set, or join the request of it that is queued already.

        A request no run has picked up yet pushes whatever the set holds when its run
        starts, so a second one would only push the same thing again: it gets that
        request back instead (100 clicks of "Sync" make one push). The check and the
        insert hold the set's lock, so concurrent callers, in any process, agree.
        """
        with self.db.transaction() as session:
            set_row = _locked_set(session, set_id)
            if set_row is None:
                raise NotFoundError(f"campaign set {set_id} does not exist")
            queued = session.scalars(
                select(SyncRequest)
                .where(
                    SyncRequest.campaign_set_id == set_id,
                    SyncRequest.operation == operation,
                    SyncRequest.status == QUEUED,
                    SyncRequest.dagster_run_id.is_(None),
                )
                .order_by(SyncRequest.id)
                .limit(1)
            ).first()
            if queued is not None:
                queued.revision = set_row.revision
                return QueuedRequest(_record(queued, set_row), coalesced=True)
            row = SyncRequest(
                campaign_set_id=set_id,
                revision=set_row.revision,
                operation=operation,
                requested_by=requested_by,
                trigger=trigger,
                status=QUEUED,
                requested_at=utcnow(),
            )
            session.add(row)
            session.flush()
            return QueuedRequest(_record(row, set_row), coalesced=False)

    def get(self, request_id: int) -> SyncRequestRecord:
        with self.db.transaction() as session:
            found = session.execute(_JOINED.where(SyncRequest.id == request_id)).first()
            if found is None:
                raise NotFoundError(f"sync request {request_id} does not exist")
            return _record(*found)

    def unserved(self, limit: int = 25, after_id: int = 0) -> list[SyncRequestRecord]:
        """Queued requests no Dagster run has picked up yet, oldest first."""
        query = (
            _JOINED.where(
                SyncRequest.status == QUEUED,
                SyncRequest.dagster_run_id.is_(None),
                SyncRequest.id > after_id,
            )
            .order_by(SyncRequest.id)
            .limit(limit)
        )
        with self.db.transaction() as session:
            return [_record(*pair) for pair in session.execute(query).all()]

    def finished_among(self, request_ids: list[int]) -> set[int]:
        """Those of `request_ids` that have finished, in one query."""
        query = select(SyncRequest.id).where(
            SyncRequest.id.in_(request_ids), SyncRequest.status.in_(FINISHED_STATUSES)
        )
        with self.db.transaction() as session:
            return set(session.scalars(query))

    def latest_for_set(self, set_id: int) -> SyncRequestRecord | None:
        query = _JOINED.where(SyncRequest.campaign_set_id == set_id).order_by(SyncRequest.id.desc())
        with self.db.transaction() as session:
            found = session.execute(query.limit(1)).first()
            return _record(*found) if found else None

    def mark_launched(self, request_id: int, run_id: str) -> bool:
        """Record the run serving the request; True when this call recorded it. The first
        run recorded wins, atomically: of two launchers racing for one request, one runs it.
        """
        with self.db.transaction() as session:
            self._row(session, request_id)
            claimed = session.execute(
                update(SyncRequest)
                .where(SyncRequest.id == request_id, SyncRequest.dagster_run_id.is_(None))
                .values(dagster_run_id=run_id, launched_at=utcnow())
                .execution_options(synchronize_session=False)
            )
            return claimed.rowcount == 1

    def mark_running(self, request_id: int, run_id: str) -> None:
        with self.db.transaction() as session:
            row = self._row(session, request_id)
            if row.dagster_run_id is None:
                row.dagster_run_id = run_id
                row.launched_at = utcnow()
            if row.status not in FINISHED_STATUSES:
                row.status = RUNNING

    def mark_finished(self, request_id: int, status: str, result: dict[str, Any] | None) -> None:
        if status not in FINISHED_STATUSES:
            raise ValueError(f"not a finished status: {status!r}")
        with self.db.transaction() as session:
            row = self._row(session, request_id)
            row.status = status
            row.result = result
            row.finished_at = utcnow()

    @staticmethod
    def _row(session: Any, request_id: int) -> SyncRequest:
        row = session.get(SyncRequest, request_id)
        if row is None:
            raise NotFoundError(f"sync request {request_id} does not exist")
        return row

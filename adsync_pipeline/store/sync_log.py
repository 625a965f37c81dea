"""The push engine's own records: create intents, the audit log, runs, progress events and
circuit-breaker state. Every write here commits on its own, so a killed process keeps all
that happened before it died."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, func, select, update

from adsync_pipeline.store.db import Database
from adsync_pipeline.store.models import (
    BreakerState,
    CreateIntent,
    SyncAudit,
    SyncEvent,
    SyncRun,
    utcnow,
)

RUNNING = "running"
FAILED = "failed"
# Audit outcomes that count against the circuit breaker: the platform failing, not us.
RETRYABLE_OUTCOMES = ("retryable", "unknown_outcome")


@dataclass(frozen=True)
class OpenIntent:
    id: int
    entity_type: str
    entity_id: int
    parent_platform_id: str | None
    name: str


@dataclass(frozen=True)
class AuditEntry:
    run_id: str | None
    campaign_set_id: int | None
    ad_account_id: int | None
    platform: str
    entity_type: str | None
    entity_key: str | None
    operation: str
    method: str
    path: str
    http_status: int | None
    latency_ms: int | None
    attempt: int
    outcome: str
    error: str | None
    request_summary: dict[str, Any] | None
    response_summary: dict[str, Any] | None
    # When the call was made; None means "now" at the time of writing.
    created_at: datetime | None = None


@dataclass(frozen=True)
class BreakerSnapshot:
    state: str
    opened_at: datetime | None
    reason: str | None


@dataclass(frozen=True)
class CallWindow:
    total: int
    retryable_failures: int


class SyncLogRepository:
    def __init__(self, db: Database) -> None:
        self.db = db

    # Create intents -----------------------------------------------------------------

    def resolve_intent(self, intent_id: int, outcome: str, platform_id: str | None) -> None:
        with self.db.transaction() as session:
            session.execute(
                update(CreateIntent)
                .where(CreateIntent.id == intent_id)
                .values(resolved_at=utcnow(), outcome=outcome, platform_id=platform_id)
            )

    def open_intents(self, campaign_set_id: int) -> list[OpenIntent]:
        with self.db.sessions() as session:
            rows = session.execute(
                select(CreateIntent)
                .where(
                    CreateIntent.campaign_set_id == campaign_set_id,
                    CreateIntent.resolved_at.is_(None),
                )
                .order_by(CreateIntent.id)
            ).scalars()
            return [
                OpenIntent(r.id, r.entity_type, r.entity_id, r.parent_platform_id, r.name)
                for r in rows
            ]

    # Audit ----------------------------------------------------------------------------

    def write_audit(self, entry: AuditEntry) -> None:
        with self.db.transaction() as session:
            session.add(SyncAudit(**{**entry.__dict__, "created_at": entry.created_at or utcnow()}))

    def audit_rows(
        self, *, campaign_set_id: int | None = None, run_id: str | None = None, limit: int = 200
    ) -> list[dict[str, Any]]:
        query = select(SyncAudit)
        if campaign_set_id is not None:
            query = query.where(SyncAudit.campaign_set_id == campaign_set_id)
        if run_id is not None:
            query = query.where(SyncAudit.run_id == run_id)
        return self._newest(SyncAudit, query, limit)

    def count_audit(self, run_id: str) -> int:
        with self.db.sessions() as session:
            return session.execute(
                select(func.count()).select_from(SyncAudit).where(SyncAudit.run_id == run_id)
            ).scalar_one()

    def call_window(self, platform: str, ad_account_id: int, since: datetime) -> CallWindow:
        with self.db.sessions() as session:
            total, failures = session.execute(
                select(
                    func.count(),
                    func.count().filter(SyncAudit.outcome.in_(RETRYABLE_OUTCOMES)),
                ).where(
                    SyncAudit.platform == platform,
                    SyncAudit.ad_account_id == ad_account_id,
                    SyncAudit.created_at >= since,
                )
            ).one()
        return CallWindow(total=total, retryable_failures=failures)

    # Runs and progress events ---------------------------------------------------------

    def start_run(
        self,
        run_id: str,
        campaign_set_id: int,
        ad_account_id: int | None,
        trigger: str,
        kind: str = "push",
    ) -> int:
        with self.db.transaction() as session:
            row = SyncRun(
                run_id=run_id,
                campaign_set_id=campaign_set_id,
                ad_account_id=ad_account_id,
                trigger=trigger,
                kind=kind,
            )
            session.add(row)
            session.flush()
            return row.id

    def runs(
        self, campaign_set_id: int, *, run_id: str | None = None, limit: int = 20
    ) -> list[dict[str, Any]]:
        """The set's push and reconcile runs with their totals, newest last."""
        query = select(SyncRun).where(SyncRun.campaign_set_id == campaign_set_id)
        if run_id is not None:
            query = query.where(SyncRun.run_id == run_id)
        return self._newest(SyncRun, query, limit)

    def _newest(self, model: type[SyncAudit | SyncRun], query: Select, limit: int) -> list[dict]:
        """The last `limit` rows of `query` as dicts of all their columns, oldest first."""
        with self.db.sessions() as session:
            rows = list(session.execute(query.order_by(model.id.desc()).limit(limit)).scalars())
        columns = [c.name for c in model.__table__.columns]
        return [{name: getattr(r, name) for name in columns} for r in reversed(rows)]

    def latest_run(self, campaign_set_id: int, kind: str = "push") -> dict[str, Any] | None:
        """The set's newest run of `kind` (whoever started it), as a dict of its columns."""
        query = select(SyncRun).where(
            SyncRun.campaign_set_id == campaign_set_id, SyncRun.kind == kind
        )
        found = self._newest(SyncRun, query, 1)
        return found[0] if found else None

    def run_status(self, run_id: str) -> str | None:
        """The status of the newest run recorded under `run_id`; None when there is none."""
        with self.db.sessions() as session:
            return session.execute(
                select(SyncRun.status)
                .where(SyncRun.run_id == run_id)
                .order_by(SyncRun.id.desc())
                .limit(1)
            ).scalar_one_or_none()

    def fail_unfinished_runs(self, campaign_set_id: int, before_row_id: int, cause: str) -> int:
        """Mark the set's runs older than `before_row_id` that are still `running` as failed
        with `cause`: called by a push holding the set's lock, so their processes are gone.
        Returns how many there were."""
        with self.db.transaction() as session:
            rows = session.execute(
                select(SyncRun).where(
                    SyncRun.campaign_set_id == campaign_set_id,
                    SyncRun.id < before_row_id,
                    SyncRun.status == RUNNING,
                )
            ).scalars()
            count = 0
            for row in rows:
                row.status, row.finished_at = FAILED, utcnow()
                row.summary = {**(row.summary or {}), "error": cause, "cause": cause}
                count += 1
            return count

    def fail_if_running(self, run_id: str, cause: str) -> bool:
        """Mark the run failed with `cause` if it is still `running` (its process died)."""
        with self.db.transaction() as session:
            rows = list(
                session.execute(
                    select(SyncRun).where(SyncRun.run_id == run_id, SyncRun.status == RUNNING)
                ).scalars()
            )
            for row in rows:
                row.status, row.finished_at = FAILED, utcnow()
                row.summary = {**(row.summary or {}), "error": cause, "cause": cause}
            return bool(rows)

    def finish_run(self, row_id: int, status: str, totals: dict[str, int], summary: dict) -> None:
        with self.db.transaction() as session:
            session.execute(
                update(SyncRun)
                .where(SyncRun.id == row_id)
                .values(status=status, finished_at=utcnow(), summary=summary, **totals)
            )

    def add_event(
        self,
        campaign_set_id: int,
        event_type: str,
        payload: dict[str, Any],
        run_id: str | None,
        sync_request_id: int | None,
    ) -> None:
        with self.db.transaction() as session:
            session.add(
                SyncEvent(
                    campaign_set_id=campaign_set_id,
                    event_type=event_type,
                    payload=payload,
                    run_id=run_id,
                    sync_request_id=sync_request_id,
                )
            )

    # Push history, as Dagster reports it ----------------------------------------------

    def runs_after(self, after_id: int, limit: int) -> list[dict[str, Any]]:
        """Runs with a row id above `after_id`, finished or not, oldest first."""
        query = select(SyncRun).where(SyncRun.id > after_id).order_by(SyncRun.id).limit(limit)
        with self.db.sessions() as session:
            rows = list(session.execute(query).scalars())
        return [_columns(SyncRun, row) for row in rows]

    def run(self, run_id: str) -> dict[str, Any] | None:
        """The (latest) row of run `run_id`."""
        query = select(SyncRun).where(SyncRun.run_id == run_id).order_by(SyncRun.id.desc())
        with self.db.sessions() as session:
            row = session.execute(query.limit(1)).scalar_one_or_none()
        return None if row is None else _columns(SyncRun, row)

    def first_audit_rows(self, run_id: str, limit: int) -> list[dict[str, Any]]:
        """The run's first `limit` platform calls, in the order they were made."""
        query = select(SyncAudit).where(SyncAudit.run_id == run_id).order_by(SyncAudit.id)
        with self.db.sessions() as session:
            rows = list(session.execute(query.limit(limit)).scalars())
        return [_columns(SyncAudit, row) for row in rows]

    def run_outcomes(self, campaign_set_id: int, run_id: str) -> list[dict[str, Any]]:
        """The run's per-entity outcomes (its `sync-progress` events: every entity it wrote,
        failed or skipped; entities with nothing to do are only counted), in order."""
        query = (
            select(SyncEvent.payload)
            .where(
                SyncEvent.campaign_set_id == campaign_set_id,
                SyncEvent.run_id == run_id,
                SyncEvent.event_type == "sync-progress",
            )
            .order_by(SyncEvent.id)
        )
        with self.db.sessions() as session:
            return list(session.execute(query).scalars())

    # Circuit breaker ------------------------------------------------------------------

    def breaker(self, platform: str, ad_account_id: int) -> BreakerSnapshot:
        with self.db.sessions() as session:
            row = session.execute(
                select(BreakerState).where(
                    BreakerState.platform == platform,
                    BreakerState.ad_account_id == ad_account_id,
                )
            ).scalar_one_or_none()
        if row is None:
            return BreakerSnapshot("closed", None, None)
        return BreakerSnapshot(row.state, row.opened_at, row.reason)

    def set_breaker(
        self,
        platform: str,
        ad_account_id: int,
        state: str,
        reason: str | None,
        now: datetime | None = None,
    ) -> BreakerSnapshot:
        opened_at = (now or utcnow()) if state == "open" else None
        with self.db.transaction() as session:
            row = session.execute(
                select(BreakerState)
                .where(
                    BreakerState.platform == platform,
                    BreakerState.ad_account_id == ad_account_id,
                )
                .with_for_update()
            ).scalar_one_or_none()
            if row is None:
                row = BreakerState(platform=platform, ad_account_id=ad_account_id)
                session.add(row)
            row.state, row.opened_at, row.reason = state, opened_at, reason
        return BreakerSnapshot(state, opened_at, reason)


def _columns(model: type[SyncAudit | SyncRun], row: SyncAudit | SyncRun) -> dict[str, Any]:
    return {c.name: getattr(row, c.name) for c in model.__table__.columns}

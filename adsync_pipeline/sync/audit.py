"""Turns every platform call into a `sync_audit` row, tagged with the entity being pushed.

The entity comes from a context variable set by the push engine around each operation, so
the HTTP client needs no knowledge of campaigns: asyncio copies the context into each task.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, Protocol

from adsync_pipeline.store.models import utcnow
from adsync_pipeline.store.sync_log import AuditEntry, SyncLogRepository


@dataclass(frozen=True)
class EntityContext:
    entity_type: str
    key: str
    operation: str


_current: ContextVar[EntityContext | None] = ContextVar("adsync_entity", default=None)


@contextmanager
def entity_context(entity_type: str, key: str, operation: str) -> Iterator[None]:
    token = _current.set(EntityContext(entity_type, key, operation))
    try:
        yield
    finally:
        _current.reset(token)


class CallLike(Protocol):
    """What any platform client reports of one HTTP attempt."""

    method: str
    path: str
    status: int | None
    latency_ms: float | None
    attempt: int
    outcome: str
    error: str | None
    request_summary: dict[str, Any] | None
    response_summary: dict[str, Any] | None


class AuditRecorder:
    def __init__(
        self,
        log: SyncLogRepository,
        *,
        run_id: str | None,
        campaign_set_id: int | None,
        ad_account_id: int | None,
        platform: str,
        buffered: bool = False,
    ) -> None:
        self.log = log
        self.run_id = run_id
        self.campaign_set_id = campaign_set_id
        self.ad_account_id = ad_account_id
        self.platform = platform
        # Buffered rows wait for the push engine to commit them with the entity's outcome.
        self.buffered = buffered
        self.pending: list[AuditEntry] = []

    def drain(self) -> list[AuditEntry]:
        rows, self.pending = self.pending, []
        return rows

    def __call__(self, call: CallLike) -> None:
        context = _current.get()
        entry = AuditEntry(
            run_id=self.run_id,
            campaign_set_id=self.campaign_set_id,
            ad_account_id=self.ad_account_id,
            platform=self.platform,
            entity_type=context.entity_type if context else None,
            entity_key=context.key if context else None,
            operation=context.operation if context else "lookup",
            method=call.method,
            path=call.path,
            http_status=call.status,
            latency_ms=round(call.latency_ms) if call.latency_ms is not None else None,
            attempt=call.attempt,
            outcome=call.outcome,
            error=call.error,
            request_summary=call.request_summary,
            response_summary=call.response_summary,
            created_at=utcnow(),
        )
        if self.buffered:
            self.pending.append(entry)
        else:
            self.log.write_audit(entry)

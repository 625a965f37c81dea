"""Raising alerts: a row in the store, a log line, and a webhook POST when configured.

Alerts are raised where the outcome is known, in `sync/`, so a push from the CLI, the API
or Dagster raises the same ones; each has a dedupe key, so a second sighting of the same
outcome (a sensor, a re-run) raises nothing.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import httpx
from tenacity import retry, retry_if_exception_type, stop_after_attempt, wait_exponential

from adsync_pipeline.platforms.errors import PlatformError
from adsync_pipeline.store.alerts import AlertRecord, AlertRepository
from adsync_pipeline.store.db import Database
from adsync_pipeline.store.sync_log import RUNNING, BreakerSnapshot, SyncLogRepository
from adsync_pipeline.sync.results import LOCAL_RUN_PREFIX, one_line

log = logging.getLogger(__name__)

WEBHOOK_ENV = "ADSYNC_ALERT_WEBHOOK_URL"

RUN_FAILED = "run_failed"
ENTITY_REJECTED = "entity_rejected"
ENTITY_GAVE_UP = "entity_gave_up"
BREAKER_OPENED = "breaker_opened"
CONFLICT_OPENED = "conflict_opened"
ALERT_KINDS = (RUN_FAILED, ENTITY_REJECTED, ENTITY_GAVE_UP, BREAKER_OPENED, CONFLICT_OPENED)


class _Retryable(Exception):
    """A webhook answer worth another try (5xx or 429)."""


def raise_alert(
    db: Database,
    kind: str,
    message: str,
    *,
    campaign_set_id: int | None = None,
    ad_account_id: int | None = None,
    dagster_run_id: str | None = None,
    details: dict[str, Any] | None = None,
    dedupe_key: str | None = None,
    webhook_url: str | None = None,
) -> AlertRecord | None:
    """Record, log and deliver one alert. Returns None when the dedupe key was seen before.

    Delivery problems are logged, never raised: an alert must not fail the run that found it.
    """
    repo = AlertRepository(db)
    alert = repo.record(
        kind,
        message,
        campaign_set_id=campaign_set_id,
        ad_account_id=ad_account_id,
        dagster_run_id=dagster_run_id,
        details=details,
        dedupe_key=dedupe_key,
    )
    if alert is None:
        return None
    log.warning("ALERT %s: %s", kind, message)
    url = webhook_url or os.environ.get(WEBHOOK_ENV)
    if url:
        try:
            _post(url, _payload(alert))
        except Exception as exc:  # any delivery failure is only logged
            log.error("alert %s not delivered to webhook: %s", alert.id, exc)
        else:
            repo.mark_delivered(alert.id)
    return alert


def _payload(alert: AlertRecord) -> dict[str, Any]:
    data = alert.to_dict()
    data["created_at"] = alert.created_at.isoformat()
    data.pop("delivered_at")
    return data


@retry(
    retry=retry_if_exception_type((httpx.TransportError, _Retryable)),
    stop=stop_after_attempt(4),
    wait=wait_exponential(multiplier=0.2, max=2),
    reraise=True,
)
def _post(url: str, payload: dict[str, Any]) -> None:
    response = httpx.post(url, json=payload, timeout=5.0)
    if response.status_code == 429 or response.status_code >= 500:
        raise _Retryable(f"webhook answered {response.status_code}")
    response.raise_for_status()


@dataclass(frozen=True)
class PushAlert:
    """An alert a push found; raised once the push's outcome is written."""

    kind: str
    message: str
    dedupe_key: str
    details: dict[str, Any]


def run_failed(run_id: str, set_id: int, cause: str) -> PushAlert:
    return PushAlert(
        RUN_FAILED,
        one_line(f"push of campaign set {set_id} failed (run {run_id}): {cause}"),
        f"run_failed:{run_id}",
        {"run_id": run_id, "cause": cause},
    )


def entity_rejected(
    run_id: str,
    set_id: int,
    entity_type: str,
    entity_id: int,
    key: str,
    fingerprint: str | None,
    error: PlatformError,
    platform: str,
) -> PushAlert:
    """The platform refused the entity for good (a validation error): retrying the same
    content cannot help, so one alert per content refused, not one per push."""
    return PushAlert(
        ENTITY_REJECTED,
        one_line(
            f"{platform} refused {entity_type.replace('_', ' ')} {key!r} of campaign set "
            f"{set_id}: {error}; fix it and push again"
        ),
        f"rejected:{entity_type}:{entity_id}:{fingerprint or run_id}",
        {
            "run_id": run_id,
            "entity_type": entity_type,
            "key": key,
            "fields": [{"field": f, "message": m} for f, m in error.field_errors],
            "error": str(error),
        },
    )


def entity_gave_up(
    run_id: str, set_id: int, entity_type: str, entity_id: int, key: str, attempts: int, error: str
) -> PushAlert:
    return PushAlert(
        ENTITY_GAVE_UP,
        one_line(
            f"{entity_type.replace('_', ' ')} {key!r} of campaign set {set_id} failed "
            f"{attempts} times and is not retried until `adsync retry {set_id}`: {error}"
        ),
        f"gave_up:{entity_type}:{entity_id}:{run_id}",
        {"run_id": run_id, "entity_type": entity_type, "key": key, "attempts": attempts},
    )


def breaker_opened(
    platform: str, platform_account_id: str, snapshot: BreakerSnapshot, cool_down_s: int
) -> PushAlert:
    opened = snapshot.opened_at.isoformat() if snapshot.opened_at else "unknown"
    return PushAlert(
        BREAKER_OPENED,
        one_line(
            f"circuit breaker for {platform} account {platform_account_id} opened: "
            f"{snapshot.reason}; its pushes are refused until a probe call succeeds after the "
            f"{cool_down_s} s cool-down"
        ),
        f"breaker:{platform}:{platform_account_id}:{opened}",
        {"platform": platform, "reason": snapshot.reason},
    )


def raise_push_alerts(
    db: Database,
    alerts: Iterable[PushAlert],
    *,
    run_id: str,
    campaign_set_id: int,
    ad_account_id: int | None,
) -> list[AlertRecord]:
    """Raise what a push found; never raises itself (an alert must not fail its run)."""
    dagster_run_id = None if run_id.startswith(LOCAL_RUN_PREFIX) else run_id
    raised: list[AlertRecord] = []
    for alert in alerts:
        try:
            record = raise_alert(
                db,
                alert.kind,
                alert.message,
                campaign_set_id=campaign_set_id,
                ad_account_id=ad_account_id,
                dagster_run_id=dagster_run_id,
                details=alert.details,
                dedupe_key=alert.dedupe_key,
            )
        except Exception:
            log.exception("alert %s could not be recorded: %s", alert.kind, alert.message)
            continue
        if record is not None:
            raised.append(record)
    return raised


def alert_on_failed_run(
    db: Database,
    run_id: str,
    campaign_set_id: int | None,
    ad_account_id: int | None,
    cause: str,
) -> AlertRecord | None:
    """A run that serves pushes (a Dagster run, say) failed. If the push recorded its own
    outcome it raised its alerts already (a refused push raises none: the breaker's opening
    did, and a busy set needs no one); otherwise the push never started or its process
    died: its run row, if left `running`, is marked failed and one alert names `cause`."""
    log = SyncLogRepository(db)
    status = log.run_status(run_id)
    if status is not None and status != RUNNING:
        return None
    if status == RUNNING:
        log.fail_if_running(run_id, cause)
    alert = run_failed(run_id, campaign_set_id or 0, cause)
    return raise_alert(
        db,
        alert.kind,
        alert.message
        if campaign_set_id is not None
        else one_line(f"push run {run_id} failed: {cause}"),
        campaign_set_id=campaign_set_id,
        ad_account_id=ad_account_id,
        dagster_run_id=run_id,
        details=alert.details,
        dedupe_key=alert.dedupe_key,
    )

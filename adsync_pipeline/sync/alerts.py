"""Raising alerts: a row in the store, a log line, and a webhook POST when configured."""

from __future__ import annotations

import logging
import os
from typing import Any

import httpx
from tenacity import retry, retry_if_exception_type, stop_after_attempt, wait_exponential

from adsync_pipeline.store.alerts import AlertRecord, AlertRepository
from adsync_pipeline.store.db import Database
from adsync_pipeline.store.sync_health import gave_up_entities, open_breakers

log = logging.getLogger(__name__)

WEBHOOK_ENV = "ADSYNC_ALERT_WEBHOOK_URL"

RUN_FAILED = "run_failed"
ENTITY_GAVE_UP = "entity_gave_up"
BREAKER_OPENED = "breaker_opened"


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


def alert_on_sync_state(db: Database, dagster_run_id: str | None = None) -> list[AlertRecord]:
    """Alerts for entities that gave up and for open circuit breakers, once each."""
    raised: list[AlertRecord] = []
    for entity in gave_up_entities(db):
        alert = raise_alert(
            db,
            ENTITY_GAVE_UP,
            f"{entity.entity_type} {entity.key!r} of set {entity.campaign_set_id} failed "
            f"{entity.attempts} times and will not be retried: {entity.last_error}",
            campaign_set_id=entity.campaign_set_id,
            ad_account_id=entity.ad_account_id,
            dagster_run_id=dagster_run_id,
            details={"entity_type": entity.entity_type, "key": entity.key},
            dedupe_key=f"gave_up:{entity.entity_type}:{entity.entity_id}:{entity.attempts}:"
            f"{entity.updated_at.isoformat()}",
        )
        if alert:
            raised.append(alert)
    for breaker in open_breakers(db):
        opened = breaker.opened_at.isoformat() if breaker.opened_at else "unknown"
        alert = raise_alert(
            db,
            BREAKER_OPENED,
            f"circuit breaker for {breaker.platform} account {breaker.ad_account_id} is open "
            f"since {opened}: {breaker.reason}",
            ad_account_id=breaker.ad_account_id,
            dagster_run_id=dagster_run_id,
            details={"platform": breaker.platform, "reason": breaker.reason},
            dedupe_key=f"breaker:{breaker.platform}:{breaker.ad_account_id}:{opened}",
        )
        if alert:
            raised.append(alert)
    return raised

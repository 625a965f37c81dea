"""Circuit breaker per (platform, ad account). Its state lives in the store so every
process (Dagster runs, CLI, API) sees the same one; the failure window is read from the
audit log, which already records every call."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from adsync_pipeline.store.sync_log import BreakerSnapshot, CallWindow, SyncLogRepository


@dataclass(frozen=True)
class BreakerPolicy:
    window: timedelta = timedelta(minutes=5)
    min_calls: int = 10
    failure_ratio: float = 0.5
    cool_down: timedelta = timedelta(seconds=60)


class Gate(StrEnum):
    ALLOW = "allow"
    PROBE = "probe"  # cool-down over: one call decides whether to close or re-open
    REFUSE = "refuse"


def should_open(window: CallWindow, policy: BreakerPolicy) -> bool:
    if window.total < policy.min_calls:
        return False
    return window.retryable_failures / window.total > policy.failure_ratio


def gate(snapshot: BreakerSnapshot, now: datetime, policy: BreakerPolicy) -> Gate:
    if snapshot.state == "closed":
        return Gate.ALLOW
    if snapshot.opened_at is not None and now - snapshot.opened_at < policy.cool_down:
        return Gate.REFUSE
    return Gate.PROBE


class CircuitBreaker:
    def __init__(
        self,
        log: SyncLogRepository,
        platform: str,
        ad_account_id: int,
        policy: BreakerPolicy | None = None,
    ) -> None:
        self.log = log
        self.platform = platform
        self.ad_account_id = ad_account_id
        self.policy = policy or BreakerPolicy()

    def gate(self, now: datetime) -> tuple[Gate, BreakerSnapshot]:
        snapshot = self.log.breaker(self.platform, self.ad_account_id)
        return gate(snapshot, now, self.policy), snapshot

    def trip_if_needed(self, now: datetime) -> BreakerSnapshot | None:
        """After a retryable failure: open the breaker when the window says so."""
        window = self.log.call_window(self.platform, self.ad_account_id, now - self.policy.window)
        if not should_open(window, self.policy):
            return None
        reason = (
            f"{window.retryable_failures} of the last {window.total} calls to {self.platform} "
            f"failed with retryable errors within {int(self.policy.window.total_seconds())} s"
        )
        return self.log.set_breaker(self.platform, self.ad_account_id, "open", reason, now)

    def close(self) -> None:
        self.log.set_breaker(self.platform, self.ad_account_id, "closed", None)

    def reopen(self, reason: str, now: datetime) -> BreakerSnapshot:
        return self.log.set_breaker(self.platform, self.ad_account_id, "open", reason, now)

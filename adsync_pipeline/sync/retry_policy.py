"""When a failed entity is tried again: exponential backoff, three attempts, then a person."""

from __future__ import annotations

import os
from datetime import datetime, timedelta

from adsync_pipeline.domain.plan import MAX_ATTEMPTS

DEFAULT_RETRY_BASE = timedelta(seconds=60)


def retry_base_from_env() -> timedelta:
    raw = os.environ.get("ADSYNC_RETRY_BASE_SECONDS")
    return timedelta(seconds=float(raw)) if raw else DEFAULT_RETRY_BASE


def next_attempt_at(now: datetime, attempts: int, base: timedelta) -> datetime | None:
    """`attempts` counts the failure just recorded; None once the entity has given up."""
    if attempts >= MAX_ATTEMPTS:
        return None
    return now + base * (2 ** (attempts - 1))

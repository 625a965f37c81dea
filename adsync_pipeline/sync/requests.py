"""Asking for a background push: record the request; the Dagster sensor serves it."""

from __future__ import annotations

from adsync_pipeline.store.db import Database
from adsync_pipeline.store.sync_requests import SyncRequestRepository


def request_sync(
    db: Database, set_id: int, requested_by: str | None, trigger: str = "manual"
) -> int:
    """Queue a push of campaign set `set_id` and return the request id at once.

    Raises NotFoundError when the set does not exist.
    """
    return SyncRequestRepository(db).create(set_id, requested_by, trigger=trigger).id

"""Asking for a background push: record the request; the Dagster sensor serves it."""

from __future__ import annotations

from adsync_pipeline.store.db import Database
from adsync_pipeline.store.sync_requests import QueuedRequest, SyncRequestRepository


def queue_push(
    db: Database, set_id: int, requested_by: str | None, trigger: str = "manual"
) -> QueuedRequest:
    """Queue a push of campaign set `set_id` at once; while an earlier request of the set is
    still waiting for its run, that request is the answer (`coalesced`).

    Raises NotFoundError when the set does not exist.
    """
    return SyncRequestRepository(db).create(set_id, requested_by, trigger=trigger)


def request_sync(
    db: Database, set_id: int, requested_by: str | None, trigger: str = "manual"
) -> int:
    """`queue_push`, for callers that need only the request id."""
    return queue_push(db, set_id, requested_by, trigger).id

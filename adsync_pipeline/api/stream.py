"""Live progress over Server-Sent Events, read from `sync_events` by polling the store.

The store, not memory, is the source: events written by a Dagster run in another process
stream the same way, and a client that reconnects with `Last-Event-ID` gets exactly the
events after that id: nothing lost, nothing repeated. The streams of one job share one
poller (`event_feed.py`), and each API key may hold a few streams, the server a few dozen.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Header, Query, Request
from fastapi.responses import StreamingResponse
from starlette.concurrency import run_in_threadpool
from starlette.types import Receive, Scope, Send

from adsync_pipeline.api.deps import MAX_ID, Db, SetId
from adsync_pipeline.api.errors import COMMON_RESPONSES
from adsync_pipeline.api.event_feed import EventFeeds
from adsync_pipeline.api.jobs import camel_keys
from adsync_pipeline.api.limits import StreamSlots
from adsync_pipeline.api.schemas import ErrorResponse
from adsync_pipeline.errors import NotFoundError
from adsync_pipeline.store.campaign_sets import CampaignSetRepository
from adsync_pipeline.store.events import COMPLETE, JOB_FAILED, EventRecord
from adsync_pipeline.store.sync_requests import SyncRequestRepository

router = APIRouter(prefix="/api/v1/campaign-sets", tags=["sync"], responses=COMMON_RESPONSES)

STREAM_DOC = {
    200: {
        "description": (
            "`text/event-stream`. One `sync-start` (`total` entities in the plan, "
            "`writes` among them), then `sync-progress` events (`entity`, `key`, `operation`, "
            "`status`, `platformId`, `error`) as each entity finishes, then one "
            "`sync-complete` (`status`: succeeded, failed or refused; `error`: why it failed; "
            "`synced`, `failed`, `skipped`, `refused`, `errors`), after which the stream "
            "ends. A push that stopped on an error of its own (it crashed, or could not "
            "start) sends `job-failed` instead (`status`: failed, `error`: its cause, and the "
            "totals reached), and so does a job whose run died without a word (`status`, "
            "`error`, `result`). Comment lines are heartbeats."
        ),
        "content": {"text/event-stream": {"schema": {"type": "string"}}},
    }
}


# Proxies must neither cache nor buffer a stream.
SSE_HEADERS = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}


@dataclass(frozen=True)
class StreamSettings:
    poll_interval_s: float = 0.25
    heartbeat_s: float = 15.0
    # The browser's EventSource waits this long before reconnecting.
    retry_ms: int = 2000


def _message(event: str, data: dict[str, Any], event_id: int | None = None) -> str:
    head = f"id: {event_id}\n" if event_id is not None else ""
    return f"{head}event: {event}\ndata: {json.dumps(data, default=str)}\n\n"


def _event(record: EventRecord) -> str:
    data = {**record.payload, "jobId": str(record.sync_request_id)}
    return _message(record.event_type, data, record.id)


async def _follow(
    feeds: EventFeeds, set_id: int, job_id: int, last_id: int, settings: StreamSettings
) -> AsyncIterator[str]:
    yield f"retry: {settings.retry_ms}\n\n"
    async with feeds.follow(set_id, job_id, last_id) as follower:
        while True:
            news = await follower.next(timeout=settings.heartbeat_s)
            if news is None:
                yield ": keep-alive\n\n"
            elif isinstance(news, list):
                for record in news:
                    yield _event(record)
                    if record.event_type in (COMPLETE, JOB_FAILED):
                        return
            else:
                job = news
                # Every event of the job has been sent: only one sent before this stream
                # resumed can have closed it.
                progress = await run_in_threadpool(feeds.events.progress, job_id)
                if progress.complete is None:
                    cause = (job.result or {}).get("cause") or (job.result or {}).get("error")
                    yield _message(
                        JOB_FAILED,
                        {
                            "jobId": str(job_id),
                            "status": job.status,
                            "error": cause,
                            "result": camel_keys(job.result),
                        },
                    )
                return


class _CountedStream(StreamingResponse):
    """Holds one of the caller's stream slots until the stream ends, however it ends."""

    def __init__(self, body: AsyncIterator[str], slots: StreamSlots, key: str) -> None:
        super().__init__(body, media_type="text/event-stream", headers=SSE_HEADERS)
        self.slots, self.key = slots, key

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await super().__call__(scope, receive, send)
        finally:
            self.slots.release(self.key)


@router.get(
    "/{setId}/sync-stream",
    summary="Live progress of a job (Server-Sent Events)",
    response_class=StreamingResponse,
    responses={
        **STREAM_DOC,
        429: {"model": ErrorResponse, "description": "This API key holds its share of streams."},
        503: {"model": ErrorResponse, "description": "The server holds all the streams it serves."},
    },
)
async def sync_stream(
    set_id: SetId,
    request: Request,
    db: Db,
    job_id: Annotated[
        int | None,
        Query(alias="jobId", ge=1, le=MAX_ID, description="Default: the set's latest job."),
    ] = None,
    last_event_id: Annotated[
        int | None,
        Header(alias="Last-Event-ID", ge=0, le=2**63 - 1, description="Resume after this id."),
    ] = None,
) -> StreamingResponse:
    await run_in_threadpool(CampaignSetRepository(db).get_header, set_id)
    requests = SyncRequestRepository(db)
    if job_id is None:
        latest = await run_in_threadpool(requests.latest_for_set, set_id)
        job_id = latest.id if latest else None
    else:
        job = await run_in_threadpool(requests.get, job_id)
        if job.campaign_set_id != set_id:
            raise NotFoundError(f"job {job_id} is not a job of campaign set {set_id}")
    if job_id is None:
        return StreamingResponse(_nothing(), media_type="text/event-stream", headers=SSE_HEADERS)
    settings: StreamSettings = request.app.state.stream_settings
    slots: StreamSlots = request.app.state.stream_slots
    key = request.scope.get("state", {}).get("api_key_name", "")
    slots.take(key)
    body = _follow(request.app.state.event_feeds, set_id, job_id, last_event_id or 0, settings)
    return _CountedStream(body, slots, key)


async def _nothing() -> AsyncIterator[str]:
    yield ": no job to follow\n\n"

"""One store poller for every event stream the API process serves.

Each stream used to poll the store on its own: two queries every 0.25 s, each on the worker
threads every other request needs too, so 200 idle streams took the server to 94% CPU and
slowed every request 60-100x. Now the streams of a job share one feed: per interval, one
read of the job's new events and one status read of every followed job, whatever the
number of streams. A feed keeps its latest events in memory for its streams; a stream that
resumes from further back (`Last-Event-ID`), or falls behind that window, reads what it is
missing from the store itself, so nothing is lost or repeated.
"""

from __future__ import annotations

import asyncio
import bisect
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

from starlette.concurrency import run_in_threadpool

from adsync_pipeline.store.db import Database
from adsync_pipeline.store.events import EventRecord, EventRepository
from adsync_pipeline.store.sync_requests import SyncRequestRecord, SyncRequestRepository

log = logging.getLogger(__name__)

# Events a feed keeps for its streams; a stream further behind reads the store.
WINDOW = 2000
PAGE = 500


@dataclass
class _Feed:
    set_id: int
    job_id: int
    # Every event of the job with floor < id <= cursor is in `window`, in id order.
    floor: int
    cursor: int
    window: list[EventRecord] = field(default_factory=list)
    # The job's record once it has finished and every event it wrote has been read.
    finished: SyncRequestRecord | None = None
    followers: int = 0
    changed: asyncio.Event = field(default_factory=asyncio.Event)

    def add(self, events: list[EventRecord]) -> None:
        self.window.extend(event for event in events if event.id > self.cursor)
        if self.window:
            self.cursor = self.window[-1].id
        if len(self.window) > WINDOW:
            cut = len(self.window) - WINDOW
            self.floor = self.window[cut - 1].id
            self.window = self.window[cut:]

    def after(self, last_id: int) -> list[EventRecord]:
        return self.window[bisect.bisect_right(self.window, last_id, key=lambda e: e.id) :]

    def notify(self) -> None:
        changed, self.changed = self.changed, asyncio.Event()
        changed.set()


@dataclass(frozen=True)
class _Read:
    events: list[EventRecord]
    # Set when no event was new and the job has finished.
    finished: SyncRequestRecord | None


class Follower:
    """One stream's position in its job's feed."""

    def __init__(self, feeds: EventFeeds, feed: _Feed, last_id: int) -> None:
        self._feeds = feeds
        self._feed = feed
        self.last_id = last_id

    async def next(self, timeout: float) -> list[EventRecord] | SyncRequestRecord | None:
        """The job's events after those returned so far; else, once the job has finished
        and none remain, its record; else None when `timeout` passes without news."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            feed = self._feed
            changed = feed.changed
            if self.last_id < feed.floor:
                events = await self._feeds.read(feed.set_id, feed.job_id, self.last_id)
                if not events:
                    # Nothing below the window after all (the set's events were deleted).
                    self.last_id = feed.floor
                    continue
            else:
                events = feed.after(self.last_id)
            if events:
                self.last_id = events[-1].id
                return events
            if feed.finished is not None:
                return feed.finished
            try:
                await asyncio.wait_for(changed.wait(), max(deadline - loop.time(), 0))
            except TimeoutError:
                return None


class EventFeeds:
    """The feeds of the jobs being followed, and the one task that polls the store."""

    def __init__(self, db: Database, poll_interval_s: float) -> None:
        self.events = EventRepository(db)
        self.requests = SyncRequestRepository(db)
        self.poll_interval_s = poll_interval_s
        self._feeds: dict[int, _Feed] = {}
        self._poller: asyncio.Task[None] | None = None

    @asynccontextmanager
    async def follow(self, set_id: int, job_id: int, last_id: int) -> AsyncIterator[Follower]:
        feed = self._feeds.get(job_id)
        if feed is None:
            feed = self._feeds[job_id] = _Feed(set_id, job_id, floor=last_id, cursor=last_id)
        feed.followers += 1
        if self._poller is None or self._poller.done():
            self._poller = asyncio.get_running_loop().create_task(self._poll())
        try:
            yield Follower(self, feed, last_id)
        finally:
            feed.followers -= 1
            if feed.followers == 0 and self._feeds.get(job_id) is feed:
                del self._feeds[job_id]

    async def read(self, set_id: int, job_id: int, after_id: int) -> list[EventRecord]:
        return await run_in_threadpool(
            self.events.after, set_id, after_id, sync_request_id=job_id, limit=PAGE
        )

    async def _poll(self) -> None:
        while self._feeds:
            feeds = [f for f in self._feeds.values() if f.finished is None]
            positions = [(f.set_id, f.job_id, f.cursor) for f in feeds]
            try:
                reads = await run_in_threadpool(self._read_all, positions) if positions else {}
            except Exception:
                # The store may come back: streams wait (with heartbeats) rather than end.
                log.exception("reading the progress events of %d jobs failed", len(feeds))
                reads = {}
            more = False
            for feed in feeds:
                read = reads.get(feed.job_id)
                if read is None:
                    continue
                feed.add(read.events)
                feed.finished = read.finished
                more = more or len(read.events) == PAGE
                if read.events or read.finished is not None:
                    feed.notify()
            if not more:
                await asyncio.sleep(self.poll_interval_s)

    def _read_all(self, positions: list[tuple[int, int, int]]) -> dict[int, _Read]:
        """New events of every feed; for those with none, whether their job finished."""
        new = {
            job_id: self.events.after(set_id, cursor, sync_request_id=job_id, limit=PAGE)
            for set_id, job_id, cursor in positions
        }
        idle = [job_id for job_id, events in new.items() if not events]
        finished = self.requests.finished_among(idle) if idle else set()
        reads = {job_id: _Read(events, None) for job_id, events in new.items()}
        for set_id, job_id, cursor in positions:
            if job_id not in finished:
                continue
            # Its last events may have been committed between our read and the status
            # change: read once more before concluding it wrote nothing else.
            late = self.events.after(set_id, cursor, sync_request_id=job_id, limit=PAGE)
            reads[job_id] = _Read(late, None if late else self.requests.get(job_id))
        return reads

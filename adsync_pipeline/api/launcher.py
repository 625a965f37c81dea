"""Running sync requests inside the API process, for setups without a Dagster daemon
(`adsync api serve --run-in-process`, and tests). The request row is still the record:
job status and progress read the same way whichever process ran the push."""

from __future__ import annotations

import logging
import threading
from concurrent.futures import ThreadPoolExecutor

from adsync_pipeline.store.db import Database
from adsync_pipeline.store.sync_requests import SyncRequestRepository
from adsync_pipeline.sync.runner import new_run_id
from adsync_pipeline.sync.serve import serve_push

log = logging.getLogger(__name__)


class InProcessLauncher:
    """Serves requests one at a time on a worker thread: two pushes of one set must never
    interleave, and one worker is the simplest way to guarantee it.

    A request waiting for the worker is recorded as launched only when the worker takes it
    up: until then it is still queued in the store, so the requests that follow it for the
    same set join it (coalesce) instead of each queueing one more push behind it. Meant for
    setups without a Dagster daemon: a running sensor could serve a waiting request first,
    and the worker then leaves it alone.
    """

    def __init__(self, db: Database) -> None:
        self.db = db
        self.requests = SyncRequestRepository(db)
        self.pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="adsync-push")
        self._waiting: set[int] = set()
        self._lock = threading.Lock()

    def __call__(self, set_id: int, request_id: int) -> None:
        with self._lock:
            if request_id in self._waiting:
                return  # a joined request: it runs once
            self._waiting.add(request_id)
        self.pool.submit(self._serve, set_id, request_id)

    def _serve(self, set_id: int, request_id: int) -> None:
        with self._lock:
            self._waiting.discard(request_id)
        run_id = new_run_id()
        # Not ours when a run was recorded first (the sensor's, or this request's own
        # earlier turn, when it was joined again while this one started).
        if not self.requests.mark_launched(request_id, run_id):
            return
        try:
            serve_push(self.db, set_id, run_id=run_id, trigger="api", request_id=request_id)
        except Exception:
            # serve_push has closed the request as failed with the error; keep the trace.
            log.exception("push of campaign set %s (job %s) failed", set_id, request_id)

    def shutdown(self) -> None:
        self.pool.shutdown(wait=True, cancel_futures=True)

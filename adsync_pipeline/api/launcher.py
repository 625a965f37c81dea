"""Running sync requests inside the API process, for setups without a Dagster daemon
(`adsync api serve --run-in-process`, and tests). The request row is still the record:
job status and progress read the same way whichever process ran the push."""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor

from adsync_pipeline.store.db import Database
from adsync_pipeline.store.sync_requests import SyncRequestRepository
from adsync_pipeline.sync.runner import new_run_id
from adsync_pipeline.sync.serve import serve_push

log = logging.getLogger(__name__)


class InProcessLauncher:
    """Serves requests one at a time on a worker thread: two pushes of one set must never
    interleave, and one worker is the simplest way to guarantee it."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self.requests = SyncRequestRepository(db)
        self.pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="adsync-push")

    def __call__(self, set_id: int, request_id: int) -> None:
        run_id = new_run_id()
        # Recorded before returning, so the Dagster sensor (if one runs) leaves it alone.
        # Not ours when another launch got there first: a request joined by a concurrent
        # one (coalesced) is launched by each of them, and must run once.
        if self.requests.mark_launched(request_id, run_id):
            self.pool.submit(self._serve, set_id, request_id, run_id)

    def _serve(self, set_id: int, request_id: int, run_id: str) -> None:
        try:
            serve_push(self.db, set_id, run_id=run_id, trigger="api", request_id=request_id)
        except Exception:
            # serve_push has closed the request as failed with the error; keep the trace.
            log.exception("push of campaign set %s (job %s) failed", set_id, request_id)

    def shutdown(self) -> None:
        self.pool.shutdown(wait=True, cancel_futures=True)

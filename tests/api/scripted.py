"""A launcher that plays a push's part from a thread: the request's life and its events
written to the store as the engine writes them, one entity per step the test allows."""

from __future__ import annotations

import threading

from adsync_pipeline.store.db import Database
from adsync_pipeline.store.sync_log import SyncLogRepository
from adsync_pipeline.store.sync_requests import COMPLETED, SyncRequestRepository


class ScriptedPush:
    def __init__(self, db: Database, entities: int) -> None:
        self.db = db
        self.entities = entities
        self.steps = threading.Semaphore(0)
        self.threads: list[threading.Thread] = []

    def __call__(self, set_id: int, request_id: int) -> None:
        thread = threading.Thread(target=self._run, args=(set_id, request_id), daemon=True)
        thread.start()
        self.threads.append(thread)

    def allow(self, steps: int) -> None:
        for _ in range(steps):
            self.steps.release()

    def join(self) -> None:
        for thread in self.threads:
            thread.join(timeout=10)

    def _run(self, set_id: int, request_id: int) -> None:
        requests, log = SyncRequestRepository(self.db), SyncLogRepository(self.db)
        run_id = f"scripted-{request_id}"
        self.steps.acquire()
        requests.mark_running(request_id, run_id)
        failed = 0
        for n in range(self.entities):
            self.steps.acquire()
            status = "failed" if n == self.entities - 1 else "synced"
            failed += status == "failed"
            payload = {
                "entity": "campaign",
                "key": f"c{n}",
                "operation": "create",
                "status": status,
                "platformId": None if status == "failed" else f"p{n}",
                "error": "rejected" if status == "failed" else None,
            }
            log.add_event(set_id, "sync-progress", payload, run_id, request_id)
        summary = {
            "synced": self.entities - failed,
            "failed": failed,
            "skipped": 0,
            "refused": None,
            "errors": [{"entity": "campaign", "key": f"c{self.entities - 1}"}],
        }
        self.steps.acquire()
        log.add_event(set_id, "sync-complete", summary, run_id, request_id)
        requests.mark_finished(request_id, COMPLETED, summary)

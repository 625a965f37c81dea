"""Commits a push's outcomes on one thread, folding whatever has queued up into one
transaction.

The event loop never waits on the database while calls are in flight, and when outcomes
arrive faster than single commits could keep up with, they share a commit instead of
queueing behind each other. Each caller still awaits its own outcome's commit, so nothing
that depends on it (a child's create) is sent before it is durable.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from concurrent.futures import Future, InvalidStateError
from dataclasses import dataclass
from typing import Any

from adsync_pipeline.store.push_ledger import OutcomeWrite, PushLedger


@dataclass
class _Job:
    future: Future[Any]
    write: OutcomeWrite | None = None
    call: Callable[[], Any] | None = None


class LedgerWriter:
    def __init__(self, ledger: PushLedger) -> None:
        self.ledger = ledger
        self._jobs: list[_Job] = []
        self._ready = threading.Condition()
        self._closed = False
        self._thread = threading.Thread(target=self._run, name="adsync-ledger", daemon=True)
        self._thread.start()

    async def commit(self, write: OutcomeWrite) -> None:
        await asyncio.wrap_future(self._submit(_Job(Future(), write=write)))

    async def call(self, fn: Callable[[], Any]) -> Any:
        """Any other store work that must stay in order with the commits."""
        return await asyncio.wrap_future(self._submit(_Job(Future(), call=fn)))

    def close(self) -> None:
        with self._ready:
            self._closed = True
            self._ready.notify()
        self._thread.join()

    def _submit(self, job: _Job) -> Future[Any]:
        with self._ready:
            if self._closed:
                raise RuntimeError("the ledger writer is closed")
            self._jobs.append(job)
            self._ready.notify()
        return job.future

    def _run(self) -> None:
        while True:
            with self._ready:
                while not self._jobs and not self._closed:
                    self._ready.wait()
                jobs, self._jobs = self._jobs, []
                if not jobs and self._closed:
                    return
            batch: list[_Job] = []
            for job in jobs:
                if job.write is not None:
                    batch.append(job)
                    continue
                self._flush(batch)
                batch = []
                self._run_call(job)
            self._flush(batch)

    def _flush(self, batch: list[_Job]) -> None:
        if not batch:
            return
        try:
            self.ledger.commit_many([job.write for job in batch if job.write is not None])
        except Exception as exc:
            if len(batch) == 1:
                _settle(batch[0].future, error=exc)
                return
            # One bad outcome must not sink the others: commit them one by one.
            for job in batch:
                self._flush([job])
            return
        for job in batch:
            _settle(job.future)

    @staticmethod
    def _run_call(job: _Job) -> None:
        assert job.call is not None
        try:
            result = job.call()
        except Exception as exc:
            _settle(job.future, error=exc)
            return
        _settle(job.future, result)


def _settle(future: Future[Any], result: Any = None, *, error: Exception | None = None) -> None:
    """Hand a job's outcome to its waiter. A waiter cancelled meanwhile (its push was
    stopped) cancels its future; the work was done all the same, and the thread goes on."""
    try:
        if error is None:
            future.set_result(result)
        else:
            future.set_exception(error)
    except InvalidStateError:
        pass

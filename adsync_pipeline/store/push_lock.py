"""One push per campaign set at a time, across every process that shares the store.

Two pushes of one set at once (a terminal's `adsync sync --now` while the Dagster daemon
serves a request, say) would both see an entity without a platform id and both create it.
The lock is held by the pushing process and vanishes with it, so a killed push never
blocks the next one:
- PostgreSQL: a session-level advisory lock on a connection held for the push;
- SQLite: an exclusive `flock` on a file per set beside the database file, released by the
  kernel when the process dies (an in-memory database is only ever seen by one process, so a
  lock within the process is enough there).
"""

from __future__ import annotations

import fcntl
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import func, literal, select
from sqlalchemy.exc import SQLAlchemyError

from adsync_pipeline.errors import AdsyncError
from adsync_pipeline.store.db import Database

# First key of PostgreSQL's two-key advisory locks: ours, whatever else uses the database,
# and the schema's (advisory locks span a database; stores in two schemas of one database,
# parallel test runs say, must not refuse each other's pushes of their set 1).
ADVISORY_NAMESPACE = func.hashtext(literal("adsync push lock ").concat(func.current_schema()))

_in_memory: dict[int, threading.Lock] = {}
_in_memory_guard = threading.Lock()


class PushInProgress(AdsyncError):
    """Another push of the same campaign set holds the lock."""


def _busy(set_id: int) -> PushInProgress:
    return PushInProgress(
        f"campaign set {set_id} is being pushed by another process; nothing was pushed, and "
        "whatever that push leaves pending is pushed by the next one"
    )


@contextmanager
def push_lock(db: Database, set_id: int) -> Iterator[None]:
    """Hold the set's push lock for the block; `PushInProgress` at once if it is taken."""
    if db.engine.dialect.name == "postgresql":
        with _advisory_lock(db, set_id):
            yield
        return
    database = db.engine.url.database
    if not database or database == ":memory:":
        with _process_lock(set_id):
            yield
        return
    with _file_lock(Path(database), set_id):
        yield


@contextmanager
def _advisory_lock(db: Database, set_id: int) -> Iterator[None]:
    with db.engine.connect() as conn:
        acquired = conn.scalar(select(func.pg_try_advisory_lock(ADVISORY_NAMESPACE, set_id)))
        # The lock belongs to the session, not the transaction: end the transaction now
        # rather than stay "idle in transaction" for the whole push.
        conn.commit()
        if not acquired:
            raise _busy(set_id)
        try:
            yield
        finally:
            try:
                conn.scalar(select(func.pg_advisory_unlock(ADVISORY_NAMESPACE, set_id)))
                conn.commit()
            except SQLAlchemyError:
                # Closing the session is what frees a session lock for sure: never hand a
                # connection that may still hold it back to the pool.
                conn.invalidate()


@contextmanager
def _file_lock(database: Path, set_id: int) -> Iterator[None]:
    folder = database.parent / f"{database.name}.push-locks"
    folder.mkdir(exist_ok=True)
    fd = os.open(folder / f"{set_id}.lock", os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            # flock belongs to this open file: another open, even in this process, conflicts.
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise _busy(set_id) from None
        yield
    finally:
        os.close(fd)


@contextmanager
def _process_lock(set_id: int) -> Iterator[None]:
    with _in_memory_guard:
        lock = _in_memory.setdefault(set_id, threading.Lock())
    if not lock.acquire(blocking=False):
        raise _busy(set_id)
    try:
        yield
    finally:
        lock.release()

"""Concurrent sync requests for one set coalesce into the request that is still queued:
decided in the store under the set's lock, so threads, processes and both stores agree."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from sqlalchemy import func, select

from adsync_pipeline.api import launcher as launcher_module
from adsync_pipeline.api.app import create_app
from adsync_pipeline.api.launcher import InProcessLauncher
from adsync_pipeline.imports.json_format import parse_json
from adsync_pipeline.store.campaign_sets import CampaignSetRepository
from adsync_pipeline.store.db import Database
from adsync_pipeline.store.models import SyncRequest
from adsync_pipeline.store.sync_requests import SyncRequestRepository
from adsync_pipeline.sync.requests import queue_push, request_sync
from tests.api.conftest import EXAMPLE, RunningApi, serve


def _set(db: Database) -> int:
    doc = parse_json(EXAMPLE.read_text(), "seed")
    return CampaignSetRepository(db).import_set(doc).campaign_set_id


def _requests(db: Database) -> int:
    with db.transaction() as session:
        return session.scalar(select(func.count()).select_from(SyncRequest)) or 0


def test_requests_at_once_in_threads_make_one_request(database: Database):
    set_id = _set(database)
    start = threading.Barrier(20)

    def ask(n: int) -> int:
        start.wait()
        return request_sync(database, set_id, f"caller {n}")

    with ThreadPoolExecutor(20) as pool:
        ids = set(pool.map(ask, range(20)))
    assert len(ids) == 1
    assert _requests(database) == 1


# Imports first, then "ready"; the request only once the parent says "go" to all of them.
ASK = """
import sys
from adsync_pipeline.store.db import Database
from adsync_pipeline.sync.requests import request_sync
db = Database.from_url(sys.argv[1])
print("ready", flush=True)
sys.stdin.readline()
print(request_sync(db, int(sys.argv[2]), "another process"), flush=True)
"""


def test_requests_at_once_from_processes_make_one_request(database: Database, db_url: str):
    set_id = _set(database)
    command = [sys.executable, "-c", ASK, db_url, str(set_id)]
    processes = [
        subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        for _ in range(4)
    ]
    for process in processes:
        assert process.stdout is not None and process.stdout.readline().strip() == "ready"
    for process in processes:
        assert process.stdin is not None
        process.stdin.write("go\n")
        process.stdin.flush()
    ids = {process.communicate(timeout=60)[0].strip() for process in processes}
    assert all(process.returncode == 0 for process in processes)
    assert len(ids) == 1
    assert _requests(database) == 1


def test_a_launched_request_is_not_joined(database: Database):
    set_id = _set(database)
    first = queue_push(database, set_id, "ana")
    again = queue_push(database, set_id, "bob")
    assert (first.coalesced, again.coalesced, again.id) == (False, True, first.id)
    # Its run has the set as it was when it started: a later request needs its own run.
    assert SyncRequestRepository(database).mark_launched(first.id, "run-1")
    assert not SyncRequestRepository(database).mark_launched(first.id, "run-2")
    later = queue_push(database, set_id, "ana")
    assert not later.coalesced and later.id != first.id
    assert SyncRequestRepository(database).get(first.id).dagster_run_id == "run-1"


def test_a_hundred_parallel_posts_make_one_job(api_db: Database, api_key: str):
    set_id = _set(api_db)
    with serve(create_app(api_db)) as api, _client(api, api_key) as http:
        with ThreadPoolExecutor(50) as pool:
            answers = list(
                pool.map(lambda _: http.post(f"/api/v1/campaign-sets/{set_id}/sync"), range(100))
            )
    assert {a.status_code for a in answers} == {202}
    assert len({a.json()["jobId"] for a in answers}) == 1
    assert _requests(api_db) == 1


def test_parallel_posts_with_run_in_process_queue_one_push_behind_the_running_one(
    api_db: Database, api_key: str, monkeypatch: pytest.MonkeyPatch
):
    set_id = _set(api_db)
    release = threading.Event()
    served: list[int] = []

    def push(db: Database, set_id: int, *, run_id: str, trigger: str, request_id: int) -> None:
        served.append(request_id)
        release.wait(timeout=30)  # the first push runs for as long as the test says

    # Only the push is played; queueing, launching and the worker are the real ones.
    monkeypatch.setattr(launcher_module, "serve_push", push)
    launcher = InProcessLauncher(api_db)
    try:
        with serve(create_app(api_db, launcher=launcher)) as api, _client(api, api_key) as http:
            running = int(http.post(f"/api/v1/campaign-sets/{set_id}/sync").json()["jobId"])
            deadline = time.monotonic() + 10
            while served != [running]:
                assert time.monotonic() < deadline, "the first push never started"
                time.sleep(0.01)
            with ThreadPoolExecutor(50) as pool:
                answers = list(
                    pool.map(
                        lambda _: http.post(f"/api/v1/campaign-sets/{set_id}/sync"), range(100)
                    )
                )
            release.set()
    finally:
        launcher.shutdown()
    waiting = {int(a.json()["jobId"]) for a in answers}
    assert len(waiting) == 1 and running not in waiting
    assert served == [running, *waiting]  # one more push, not 100
    assert _requests(api_db) == 2


def _client(api: RunningApi, key: str) -> httpx.Client:
    return httpx.Client(
        base_url=api.base_url, headers={"Authorization": f"Bearer {key}"}, timeout=30
    )

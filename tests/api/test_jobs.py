"""Sync requests answer at once; their progress is read back from the store."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator

import httpx
import pytest

from adsync_pipeline.api.app import create_app
from adsync_pipeline.store.campaign_sets import CampaignSetRepository
from adsync_pipeline.store.db import Database
from adsync_pipeline.store.sync_log import SyncLogRepository
from adsync_pipeline.store.sync_requests import SyncRequestRepository
from tests.api.conftest import EXAMPLE, FAST_STREAMS, serve
from tests.api.scripted import ScriptedPush

ENTITIES = 6


@pytest.fixture
def scripted(api_db: Database) -> Iterator[ScriptedPush]:
    push = ScriptedPush(api_db, ENTITIES)
    yield push
    push.allow((ENTITIES + 2) * len(push.threads))  # lets every started push finish
    push.join()


@pytest.fixture
def http(api_db: Database, api_key: str, scripted: ScriptedPush) -> Iterator[httpx.Client]:
    app = create_app(api_db, launcher=scripted, stream_settings=FAST_STREAMS)
    with serve(app) as running:
        headers = {"Authorization": f"Bearer {api_key}"}
        with httpx.Client(base_url=running.base_url, headers=headers, timeout=10) as client:
            yield client


@pytest.fixture
def set_id(http: httpx.Client) -> int:
    response = http.post("/api/v1/campaign-sets", content=EXAMPLE.read_bytes())
    return response.json()["id"]


def wait_for(predicate, timeout: float = 5.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.01)
    raise AssertionError("condition not reached")


def test_polling_shows_progress_moving(http: httpx.Client, scripted: ScriptedPush, set_id: int):
    accepted = http.post(f"/api/v1/campaign-sets/{set_id}/sync")
    assert accepted.status_code == 202
    job_id = accepted.json()["jobId"]
    assert accepted.json() == {"jobId": job_id, "status": "queued"}
    job = http.get(f"/api/v1/jobs/{job_id}").json()
    assert job["status"] == "queued"
    # Until the engine reports, the total is the plan's: the example's 8 entities.
    assert job["progress"] == {"synced": 0, "failed": 0, "skipped": 0, "total": 8}
    scripted.allow(1)
    wait_for(lambda: http.get(f"/api/v1/jobs/{job_id}").json()["status"] == "running")
    seen = []
    for step in range(1, ENTITIES + 1):
        scripted.allow(1)
        job = wait_for(
            lambda step=step: (
                (j := http.get(f"/api/v1/jobs/{job_id}").json())["progress"]["synced"]
                + j["progress"]["failed"]
                == step
                and j
            )
        )
        seen.append(job["progress"]["synced"])
    assert seen == [1, 2, 3, 4, 5, 5]
    assert job["dagsterRunId"] == f"scripted-{job_id}"
    scripted.allow(1)
    done = wait_for(
        lambda: (j := http.get(f"/api/v1/jobs/{job_id}").json())["status"] == "completed" and j
    )
    assert done["progress"] == {"synced": 5, "failed": 1, "skipped": 0, "total": 6}
    assert done["result"]["failed"] == 1
    status = http.get(f"/api/v1/campaign-sets/{set_id}/sync-status").json()
    assert status["latestJob"]["jobId"] == job_id
    assert status["latestJob"]["status"] == "completed"


def test_sync_request_answers_fast_while_the_push_runs(
    http: httpx.Client, scripted: ScriptedPush, set_id: int
):
    http.post(f"/api/v1/campaign-sets/{set_id}/sync")  # warm: first-use costs aren't the API's
    scripted.allow(3)  # that push is now running, mid-way
    timings = []
    for _ in range(5):
        started = time.perf_counter()
        response = http.post(f"/api/v1/campaign-sets/{set_id}/sync")
        timings.append(time.perf_counter() - started)
        assert response.status_code == 202
    assert max(timings) < 0.2, timings


def read_stream(response: httpx.Response, limit: int | None = None) -> list[dict]:
    """SSE messages (comments dropped) until the server ends or `limit` are read."""
    messages, fields = [], {}
    for line in response.iter_lines():
        if line == "":
            if "event" in fields:
                messages.append(fields)
                if limit is not None and len(messages) == limit:
                    break
            fields = {}
        elif not line.startswith(":"):
            name, _, value = line.partition(": ")
            fields[name] = value
    return messages


def test_stream_delivers_progress_then_complete_and_resumes_without_loss(
    http: httpx.Client, api_db: Database, scripted: ScriptedPush, set_id: int
):
    job_id = http.post(f"/api/v1/campaign-sets/{set_id}/sync").json()["jobId"]
    # Another job's events in the same set must not leak into this job's stream.
    SyncLogRepository(api_db).add_event(set_id, "sync-progress", {"key": "x"}, "other", None)
    url = f"/api/v1/campaign-sets/{set_id}/sync-stream"
    scripted.allow(3)  # running + 2 entities
    with http.stream("GET", url, params={"jobId": job_id}) as response:
        assert response.headers["content-type"].startswith("text/event-stream")
        first = read_stream(response, limit=2)
    # Connection dropped; the push goes on meanwhile.
    scripted.allow(2)
    last_id = first[-1]["id"]
    with http.stream("GET", url, params={"jobId": job_id}, headers={"Last-Event-ID": last_id}):
        pass  # a reconnect that drops again at once must not lose anything either
    scripted.allow(ENTITIES)
    with http.stream(
        "GET", url, params={"jobId": job_id}, headers={"Last-Event-ID": last_id}
    ) as response:
        rest = read_stream(response)  # ends by itself after sync-complete
    messages = first + rest
    assert [m["event"] for m in messages] == ["sync-progress"] * ENTITIES + ["sync-complete"]
    ids = [int(m["id"]) for m in messages]
    assert ids == sorted(set(ids))
    keys = [json.loads(m["data"]).get("key") for m in messages[:-1]]
    assert keys == [f"c{n}" for n in range(ENTITIES)]
    progress = json.loads(messages[0]["data"])
    assert progress["status"] == "synced" and progress["platformId"] == "p0"
    assert progress["jobId"] == job_id
    complete = json.loads(messages[-1]["data"])
    assert (complete["synced"], complete["failed"], len(complete["errors"])) == (5, 1, 1)
    # After the end, a reconnect from the last id gets nothing and closes at once.
    with http.stream(
        "GET", url, params={"jobId": job_id}, headers={"Last-Event-ID": messages[-1]["id"]}
    ) as response:
        assert read_stream(response) == []


def test_stream_of_a_job_whose_run_died_ends_with_job_failed(
    http: httpx.Client, api_db: Database, set_id: int
):
    job_id = SyncRequestRepository(api_db).create(set_id, "tests").id
    result = {"run_id": "run-1", "error": "worker killed"}
    SyncRequestRepository(api_db).mark_finished(job_id, "failed", result)
    url = f"/api/v1/campaign-sets/{set_id}/sync-stream"
    with http.stream("GET", url) as response:  # the set's latest job by default
        messages = read_stream(response)
    assert [m["event"] for m in messages] == ["job-failed"]
    assert json.loads(messages[0]["data"])["result"] == {"runId": "run-1", "error": "worker killed"}
    job = http.get(f"/api/v1/jobs/{job_id}").json()
    assert (job["result"]["runId"], job["result"]["error"]) == ("run-1", "worker killed")


def test_stream_without_any_job_ends_at_once(http: httpx.Client, set_id: int):
    with http.stream("GET", f"/api/v1/campaign-sets/{set_id}/sync-stream") as response:
        assert response.status_code == 200
        assert read_stream(response) == []


def test_stream_of_another_sets_job_is_404(http: httpx.Client, api_db: Database, set_id: int):
    job_id = SyncRequestRepository(api_db).create(set_id, "tests").id
    doc = json.loads(EXAMPLE.read_text())
    doc["name"] = "Another set"
    other = CampaignSetRepository(api_db).import_set(_parse(doc)).campaign_set_id
    response = http.get(f"/api/v1/campaign-sets/{other}/sync-stream", params={"jobId": job_id})
    assert response.status_code == 404


def _parse(doc: dict):
    from adsync_pipeline.imports.json_format import parse_json

    return parse_json(json.dumps(doc), "test")


def test_stream_sends_heartbeats_while_a_job_waits(http: httpx.Client, set_id: int):
    job_id = http.post(f"/api/v1/campaign-sets/{set_id}/sync").json()["jobId"]
    url = f"/api/v1/campaign-sets/{set_id}/sync-stream"
    with http.stream("GET", url, params={"jobId": job_id}) as response:
        lines = response.iter_lines()
        assert next(lines).startswith("retry: ")
        assert next(line for line in lines if line) == ": keep-alive"

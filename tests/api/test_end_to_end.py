"""The API with the real push engine run in-process (no Dagster) against the Reddit
sandbox: request, poll, stream, pause/resume and delete, all over real HTTP."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from adsync_pipeline.api.app import create_app
from adsync_pipeline.api.launcher import InProcessLauncher
from adsync_pipeline.sandbox.reddit import RunningSandbox
from adsync_pipeline.sandbox.reddit_state import (
    AD_ACCOUNT_ID,
    CLIENT_ID,
    CLIENT_SECRET,
    REFRESH_TOKEN,
)
from adsync_pipeline.security.vault import KEY_ENV, Vault, generate_key
from adsync_pipeline.store.accounts import AccountRepository
from adsync_pipeline.store.db import Database
from tests.api.conftest import EXAMPLE, FAST_STREAMS, serve
from tests.api.test_jobs import read_stream


@pytest.fixture
def connected(
    api_db: Database, reddit_sandbox: RunningSandbox, monkeypatch: pytest.MonkeyPatch
) -> RunningSandbox:
    monkeypatch.setenv("ADSYNC_REDDIT_API_URL", reddit_sandbox.api_url)
    monkeypatch.setenv("ADSYNC_REDDIT_AUTH_URL", reddit_sandbox.auth_url)
    monkeypatch.setenv("ADSYNC_REDDIT_CLIENT_ID", CLIENT_ID)
    monkeypatch.setenv("ADSYNC_REDDIT_CLIENT_SECRET", CLIENT_SECRET)
    monkeypatch.setenv("ADSYNC_USER_AGENT", "python:adsync:test (by /u/adsync_tests)")
    monkeypatch.setenv(KEY_ENV, generate_key())
    accounts = AccountRepository(api_db, Vault.from_env())
    account = accounts.upsert_account("reddit", AD_ACCOUNT_ID)
    accounts.save_tokens(
        account.id, refresh_token=REFRESH_TOKEN, access_token=None, expires_at=None, scope=None
    )
    return reddit_sandbox


@pytest.fixture
def http(api_db: Database, api_key: str, connected: RunningSandbox) -> Iterator[httpx.Client]:
    launcher = InProcessLauncher(api_db)
    app = create_app(api_db, launcher=launcher, stream_settings=FAST_STREAMS)
    try:
        with serve(app) as running:
            headers = {"Authorization": f"Bearer {api_key}"}
            with httpx.Client(base_url=running.base_url, headers=headers, timeout=30) as client:
                yield client
    finally:
        launcher.shutdown()


def wait_job(http: httpx.Client, job_id: str, timeout: float = 30) -> list[dict[str, Any]]:
    """Every distinct job view seen while polling until the job ends."""
    views: list[dict[str, Any]] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = http.get(f"/api/v1/jobs/{job_id}").json()
        if not views or (job["status"], job["progress"]) != (
            views[-1]["status"],
            views[-1]["progress"],
        ):
            views.append(job)
        if job["status"] in ("completed", "failed"):
            return views
        time.sleep(0.01)
    raise AssertionError(f"job {job_id} did not finish: {views[-1]}")


def test_sync_poll_stream_pause_resume_delete(http: httpx.Client, connected: RunningSandbox):
    set_id = http.post("/api/v1/campaign-sets", content=EXAMPLE.read_bytes()).json()["id"]
    connected.set_faults(latency=0.05)  # each platform call takes a while: progress is visible

    started = time.perf_counter()
    accepted = http.post(f"/api/v1/campaign-sets/{set_id}/sync")
    assert time.perf_counter() - started < 0.2
    assert accepted.status_code == 202
    job_id = accepted.json()["jobId"]

    views = wait_job(http, job_id)
    done = views[-1]
    assert done["status"] == "completed", done
    assert done["progress"] == {"synced": 8, "failed": 0, "skipped": 0, "total": 8}
    assert done["dagsterRunId"].startswith("adsync-")
    result = done["result"]
    assert (result["runId"], result["synced"], result["rateLimited"]) == (
        done["dagsterRunId"],
        8,
        0,
    )
    assert result["apiCalls"] >= 8 and result["durationSeconds"] > 0
    assert not [name for name in keys_of(result) if "_" in name], result
    moving = [v["progress"] for v in views if v["status"] == "running"]
    assert len({p["synced"] for p in moving}) >= 3, views  # seen part-way, more than once
    assert {p["total"] for p in moving} == {8}, moving

    with http.stream(
        "GET", f"/api/v1/campaign-sets/{set_id}/sync-stream", params={"jobId": job_id}
    ) as response:
        messages = read_stream(response)
    assert [m["event"] for m in messages] == ["sync-start"] + ["sync-progress"] * 8 + [
        "sync-complete"
    ]
    assert json.loads(messages[0]["data"])["total"] == 8
    synced = [json.loads(m["data"]) for m in messages[1:-1]]
    assert all(e["status"] == "synced" and e["platformId"] for e in synced)

    detail = http.get(f"/api/v1/campaign-sets/{set_id}").json()
    assert all(c["sync"]["platformId"] for c in detail["campaigns"])
    status = http.get(f"/api/v1/campaign-sets/{set_id}/sync-status").json()
    assert status["syncStatus"] == "synced" and status["lastSyncedAt"]
    assert http.get(f"/api/v1/campaign-sets/{set_id}/audit").json()

    connected.set_faults(latency=0.0)
    paused = http.post(f"/api/v1/campaign-sets/{set_id}/pause")
    assert paused.status_code == 200, paused.text
    assert paused.json()["failed"] == 0
    state = httpx.get(f"{connected.admin_url}/state").json()
    assert {c["configured_status"] for c in state["campaigns"].values()} == {"PAUSED"}
    assert http.post(f"/api/v1/campaign-sets/{set_id}/resume").json()["failed"] == 0
    state = httpx.get(f"{connected.admin_url}/state").json()
    # Each campaign as its file authors it: shoes active, bags paused.
    statuses = {c["name"]: c["configured_status"] for c in state["campaigns"].values()}
    assert statuses == {"Summer Sale - Shoes": "ACTIVE", "Summer Sale - Bags": "PAUSED"}

    removal = http.delete(f"/api/v1/campaign-sets/{set_id}")
    assert removal.status_code == 202
    assert wait_job(http, removal.json()["jobId"])[-1]["status"] == "completed"
    state = httpx.get(f"{connected.admin_url}/state").json()
    assert {c["configured_status"] for c in state["campaigns"].values()} == {"DELETED"}
    detail = http.get(f"/api/v1/campaign-sets/{set_id}").json()
    assert all(c["sync"]["removed"] for c in detail["campaigns"])


def test_deleted_set_stays_archived_after_its_removal_push(
    http: httpx.Client, connected: RunningSandbox
):
    set_id = http.post("/api/v1/campaign-sets", content=EXAMPLE.read_bytes()).json()["id"]
    assert wait_job(http, http.post(f"/api/v1/campaign-sets/{set_id}/sync").json()["jobId"])
    removal = http.delete(f"/api/v1/campaign-sets/{set_id}").json()["jobId"]
    assert wait_job(http, removal)[-1]["status"] == "completed"
    assert http.get(f"/api/v1/campaign-sets/{set_id}").json()["status"] == "archived"

    # Archived: its removal push was its last, for sync as for pause.
    for action in ("sync", "pause"):
        refused = http.post(f"/api/v1/campaign-sets/{set_id}/{action}")
        assert refused.status_code == 409, refused.text
        assert refused.json()["error"]["message"].startswith(f"campaign set {set_id} is archived")
    assert http.get(f"/api/v1/campaign-sets/{set_id}/sync-status").json()["latestJob"][
        "jobId"
    ] == str(removal)


def keys_of(value: Any) -> list[str]:
    """Every dict key in `value`, at any depth."""
    if isinstance(value, dict):
        return [*value, *(k for v in value.values() for k in keys_of(v))]
    if isinstance(value, list):
        return [k for v in value for k in keys_of(v)]
    return []

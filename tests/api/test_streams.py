"""Event streams over a real server: capped per key and in all, and cheap to hold open
(the streams of a job share one store poller), without losing or repeating an event."""

from __future__ import annotations

import json
import threading
import time
from contextlib import ExitStack

import httpx
import pytest
from sqlalchemy import event

from adsync_pipeline.api import event_feed
from adsync_pipeline.api.app import create_app
from adsync_pipeline.api.limits import ApiLimits
from adsync_pipeline.imports.json_format import parse_json
from adsync_pipeline.store.api_keys import ApiKeyRepository
from adsync_pipeline.store.campaign_sets import CampaignSetRepository
from adsync_pipeline.store.db import Database
from adsync_pipeline.store.events import EventRepository
from adsync_pipeline.store.sync_log import SyncLogRepository
from adsync_pipeline.sync.requests import request_sync
from tests.api.conftest import EXAMPLE, FAST_STREAMS, RunningApi, serve
from tests.api.test_jobs import read_stream


@pytest.fixture
def job(api_db: Database) -> tuple[int, int]:
    """(set id, job id) of a job that stays queued: no launcher serves it."""
    set_id = CampaignSetRepository(api_db).import_set(parse_json(EXAMPLE.read_text(), "seed"))
    return set_id.campaign_set_id, request_sync(api_db, set_id.campaign_set_id, "tests")


def _open(stack: ExitStack, api: RunningApi, key: str, set_id: int) -> httpx.Response:
    http = stack.enter_context(
        httpx.Client(base_url=api.base_url, headers={"Authorization": f"Bearer {key}"})
    )
    return stack.enter_context(http.stream("GET", f"/api/v1/campaign-sets/{set_id}/sync-stream"))


def test_streams_are_capped_per_key_with_429_and_in_all_with_503(
    api_db: Database, job: tuple[int, int]
):
    set_id, _ = job
    keys = ApiKeyRepository(api_db)
    first, second = keys.create("first")[1], keys.create("second")[1]
    with ExitStack() as stack:
        api = stack.enter_context(serve(create_app(
            api_db, stream_settings=FAST_STREAMS, limits=ApiLimits(streams_per_key=2, streams=3)
        )))  # fmt: skip
        held = stack.enter_context(ExitStack())
        assert [_open(held, api, first, set_id).status_code for _ in range(2)] == [200, 200]

        refused = _open(stack, api, first, set_id)
        assert refused.status_code == 429
        refused.read()
        assert refused.headers["Retry-After"] == "5"
        error = refused.json()["error"]
        assert error["code"] == "too_many_requests"
        assert "API key 'first' has 2 event streams open" in error["message"]

        assert _open(stack, api, second, set_id).status_code == 200
        full = _open(stack, api, second, set_id)
        assert full.status_code == 503
        full.read()
        assert full.json()["error"]["code"] == "unavailable"
        assert full.headers["Retry-After"] == "5"

        held.close()  # the first key's streams end: their slots come back
        deadline = time.monotonic() + 5
        while True:
            with ExitStack() as retry:
                if _open(retry, api, first, set_id).status_code == 200:
                    break
            assert time.monotonic() < deadline, "slots never came back"
            time.sleep(0.05)


def test_many_streams_of_a_job_share_one_poller(
    api_db: Database, api_key: str, job: tuple[int, int]
):
    set_id, _ = job
    statements = 0

    def count(*_args: object) -> None:
        nonlocal statements
        statements += 1

    with ExitStack() as stack:
        api = stack.enter_context(
            serve(
                create_app(
                    api_db,
                    stream_settings=FAST_STREAMS,
                    limits=ApiLimits(streams_per_key=20, streams=20),
                )
            )
        )
        for _ in range(20):
            assert _open(stack, api, api_key, set_id).status_code == 200
        event.listen(api_db.engine, "before_cursor_execute", count)
        try:
            time.sleep(1.0)
        finally:
            event.remove(api_db.engine, "before_cursor_execute", count)
    # Polling every 0.02 s: one events read and one status read per interval for the job
    # (about 100 a second); each stream polling on its own made 20 times as many.
    assert statements < 250


def test_streams_of_a_job_get_every_event_once_whatever_their_start(
    api_db: Database, api_key: str, job: tuple[int, int], monkeypatch: pytest.MonkeyPatch
):
    # A tiny window and page: streams resuming from behind it read the store themselves.
    monkeypatch.setattr(event_feed, "WINDOW", 3)
    monkeypatch.setattr(event_feed, "PAGE", 2)
    set_id, job_id = job
    log = SyncLogRepository(api_db)
    received: dict[str, list[dict]] = {}

    def follow(name: str, last_event_id: str | None) -> None:
        headers = {"Authorization": f"Bearer {api_key}"}
        if last_event_id is not None:
            headers["Last-Event-ID"] = last_event_id
        with (
            httpx.Client(base_url=api.base_url, headers=headers, timeout=10) as http,
            http.stream("GET", f"/api/v1/campaign-sets/{set_id}/sync-stream") as response,
        ):
            received[name] = read_stream(response)

    with serve(create_app(api_db, stream_settings=FAST_STREAMS)) as api:
        early = threading.Thread(target=follow, args=("early", None))
        early.start()
        for n in range(8):
            log.add_event(set_id, "sync-progress", {"key": f"k{n}"}, "run", job_id)
            time.sleep(0.01)
        second_id = str(EventRepository(api_db).after(set_id, sync_request_id=job_id)[1].id)
        late = [threading.Thread(target=follow, args=(f"late{n}", second_id)) for n in range(3)]
        for thread in late:
            thread.start()
        time.sleep(0.2)
        log.add_event(set_id, "sync-progress", {"key": "k8"}, "run", job_id)
        log.add_event(set_id, "sync-complete", {"synced": 9}, "run", job_id)
        for thread in (early, *late):
            thread.join(timeout=10)

    def keys(name: str) -> list[str | None]:
        return [json.loads(m["data"]).get("key") for m in received[name]]

    assert keys("early") == [f"k{n}" for n in range(9)] + [None]
    for n in range(3):
        assert keys(f"late{n}") == [f"k{n}" for n in range(2, 9)] + [None]
        assert received[f"late{n}"][-1]["event"] == "sync-complete"

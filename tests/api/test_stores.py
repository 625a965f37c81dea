"""The API's own store modules on SQLite and PostgreSQL: events read back and counted,
API keys created, authenticated, revoked."""

from __future__ import annotations

import pytest

from adsync_pipeline.api.jobs import job_view
from adsync_pipeline.errors import NotFoundError
from adsync_pipeline.imports.json_format import parse_json
from adsync_pipeline.store.api_keys import ApiKeyRepository, DuplicateKeyName
from adsync_pipeline.store.campaign_sets import CampaignSetRepository
from adsync_pipeline.store.db import Database
from adsync_pipeline.store.events import EventRepository
from adsync_pipeline.store.sync_log import SyncLogRepository
from adsync_pipeline.store.sync_requests import SyncRequestRepository
from adsync_pipeline.sync.requests import request_sync
from tests.api.conftest import EXAMPLE


def test_events_after_filters_and_progress_counts(database: Database):
    set_id = (
        CampaignSetRepository(database)
        .import_set(parse_json(EXAMPLE.read_text(), "seed"))
        .campaign_set_id
    )
    job = request_sync(database, set_id, "t")
    # Launched, so the next request is a new one (a queued one would be joined).
    SyncRequestRepository(database).mark_launched(job, "run")
    other = request_sync(database, set_id, "t")
    log = SyncLogRepository(database)
    for n, status in enumerate(["synced", "synced", "failed", "skipped"]):
        payload = {"entity": "ad", "key": f"a/b/{n}", "status": status, "platformId": None}
        log.add_event(set_id, "sync-progress", payload, "run", job)
    log.add_event(
        set_id, "sync-progress", {"entity": "ad", "key": "x", "status": "synced"}, "o", other
    )
    events = EventRepository(database)

    mine = events.after(set_id, sync_request_id=job)
    assert [e.payload["key"] for e in mine] == ["a/b/0", "a/b/1", "a/b/2", "a/b/3"]
    assert [e.payload["key"] for e in events.after(set_id, mine[1].id, sync_request_id=job)] == [
        "a/b/2",
        "a/b/3",
    ]
    assert len(events.after(set_id)) == 5
    assert events.reported(job) == {("ad", f"a/b/{n}") for n in range(4)}

    progress = events.progress(job)
    assert (progress.synced, progress.failed, progress.skipped, progress.total) == (2, 1, 1, None)
    complete = {"synced": 2, "failed": 1, "skipped": 1, "refused": None, "errors": []}
    log.add_event(set_id, "sync-complete", complete, "run", job)
    progress = events.progress(job)
    assert (progress.total, progress.complete) == (4, complete)


def test_progress_of_a_request_served_by_two_runs_is_the_latest_runs(database: Database):
    set_id = (
        CampaignSetRepository(database)
        .import_set(parse_json(EXAMPLE.read_text(), "seed"))
        .campaign_set_id
    )
    job = request_sync(database, set_id, "t")
    log = SyncLogRepository(database)
    # The first run is killed after three of its four entities...
    log.add_event(set_id, "sync-start", {"total": 4, "writes": 4}, "first", job)
    for n, status in enumerate(["synced", "synced", "failed"]):
        payload = {"entity": "ad", "key": f"a/b/{n}", "status": status}
        log.add_event(set_id, "sync-progress", payload, "first", job)
    # ...and the next run plans what is left: the failed one and the one never reached.
    log.add_event(set_id, "sync-start", {"total": 2, "writes": 2}, "second", job)
    last = {"entity": "ad", "key": "a/b/3", "status": "synced"}
    log.add_event(set_id, "sync-progress", last, "second", job)

    progress = EventRepository(database).progress(job)

    assert (progress.synced, progress.failed, progress.total) == (1, 0, 2)
    assert progress.complete is None


def test_job_total_comes_from_sync_start_and_is_estimated_only_before_it(
    database: Database, monkeypatch: pytest.MonkeyPatch
):
    repo = CampaignSetRepository(database)
    set_id = repo.import_set(parse_json(EXAMPLE.read_text(), "seed")).campaign_set_id
    loads: list[int] = []
    load = CampaignSetRepository.load

    def counting_load(self: CampaignSetRepository, set_id: int):
        loads.append(set_id)
        return load(self, set_id)

    monkeypatch.setattr(CampaignSetRepository, "load", counting_load)
    requests = SyncRequestRepository(database)
    job = request_sync(database, set_id, "t")

    # Queued: estimated from the plan (every entity of the fresh set is a create).
    assert job_view(database, requests.get(job)).progress.total == 8
    assert loads == [set_id]

    # Running, its sync-start not written yet: still estimated.
    requests.mark_running(job, "run")
    assert job_view(database, requests.get(job)).progress.total == 8
    assert len(loads) == 2

    # Once the engine announced its plan, its total is used and the set is not read.
    log = SyncLogRepository(database)
    log.add_event(set_id, "sync-start", {"total": 5, "writes": 3}, "run", job)
    payload = {"entity": "campaign", "key": "c", "status": "synced", "platformId": "p"}
    log.add_event(set_id, "sync-progress", payload, "run", job)
    for _ in range(3):
        view = job_view(database, requests.get(job))
        assert (view.status, view.progress.synced, view.progress.total) == ("running", 1, 5)
    assert len(loads) == 2

    # A job that ended without announcing anything counts what it finished.
    died = request_sync(database, set_id, "t")
    requests.mark_running(died, "run-2")
    requests.mark_finished(died, "failed", {"error": "run died"})
    assert job_view(database, requests.get(died)).progress.total == 0
    assert len(loads) == 2


def test_api_keys(database: Database):
    keys = ApiKeyRepository(database)
    record, key = keys.create("app")
    with pytest.raises(DuplicateKeyName):
        keys.create("app")
    authenticated = keys.authenticate(key)
    assert authenticated is not None and authenticated.last_used_at is not None
    assert keys.authenticate("adsk_" + "x" * 43) is None
    keys.revoke("app")
    assert keys.authenticate(key) is None
    assert keys.list()[0].revoked_at is not None
    with pytest.raises(NotFoundError):
        keys.revoke("nobody")
    assert record.name == "app"

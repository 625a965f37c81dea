"""How a push ends, over real HTTP against the Reddit sandbox: every run `succeeded`, `failed`
with its cause, or `refused`; a crash is never recorded as a success; the alerts a push
raises itself, whoever started it."""

from __future__ import annotations

import json
from functools import partial
from pathlib import Path

import httpx
import pytest

from adsync_pipeline.api.app import create_app
from adsync_pipeline.api.launcher import InProcessLauncher
from adsync_pipeline.domain.model import SetStatus
from adsync_pipeline.imports import read_campaign_set
from adsync_pipeline.sandbox.reddit import RunningSandbox
from adsync_pipeline.security.vault import DecryptionError, generate_key
from adsync_pipeline.store.alerts import AlertRepository
from adsync_pipeline.store.api_keys import ApiKeyRepository
from adsync_pipeline.store.campaign_sets import CampaignSetRepository
from adsync_pipeline.store.db import Database
from adsync_pipeline.store.events import COMPLETE, JOB_FAILED, EventRepository
from adsync_pipeline.store.migrate import upgrade_database
from adsync_pipeline.store.sync_log import SyncLogRepository
from adsync_pipeline.sync.adapters import open_adapter
from adsync_pipeline.sync.alerts import ENTITY_GAVE_UP, ENTITY_REJECTED, RUN_FAILED
from adsync_pipeline.sync.breaker import BreakerPolicy
from adsync_pipeline.sync.push import PushOptions
from adsync_pipeline.sync.runner import push_async
from tests.api.conftest import FAST_STREAMS, serve
from tests.sync.conftest import connect_sandbox_account

EXAMPLE = Path(__file__).parents[2] / "adsync_pipeline" / "examples" / "summer-sale.json"
WRONG_KEY = "cannot be decrypted"


@pytest.fixture
def summer(database: Database, reddit_env: None) -> int:
    imported = CampaignSetRepository(database).import_set(read_campaign_set(EXAMPLE))
    connect_sandbox_account(database)
    return imported.campaign_set_id


def rename_campaigns(database: Database, set_id: int) -> None:
    """A local edit, so the next push has calls to make."""
    doc = read_campaign_set(EXAMPLE)
    for campaign in doc.campaigns:
        campaign.name += " (edited)"
    assert CampaignSetRepository(database).import_set(doc).campaign_set_id == set_id


def events_of(database: Database, set_id: int, run_id: str) -> list[tuple[str, dict]]:
    return [
        (e.event_type, e.payload)
        for e in EventRepository(database).after(set_id)
        if e.run_id == run_id
    ]


async def test_a_push_that_crashes_on_a_wrong_key_is_a_failed_run_with_that_cause(
    database: Database, summer: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    await push_async(database, summer, run_id="good")
    rename_campaigns(database, summer)
    monkeypatch.setenv("ADSYNC_ENCRYPTION_KEY", generate_key())

    with pytest.raises(DecryptionError):
        await push_async(database, summer, run_id="wrong-key")

    run = SyncLogRepository(database).latest_run(summer)
    assert run is not None and run["run_id"] == "wrong-key"
    assert run["status"] == "failed" and WRONG_KEY in run["summary"]["error"]
    header = CampaignSetRepository(database).get_header(summer)
    assert header.status is SetStatus.ERROR  # not left `syncing`
    kinds = [kind for kind, _ in events_of(database, summer, "wrong-key")]
    assert COMPLETE not in kinds and kinds[-1] == JOB_FAILED
    (_, failure) = events_of(database, summer, "wrong-key")[-1]
    assert failure["status"] == "failed" and WRONG_KEY in failure["error"]
    (alert,) = AlertRepository(database).list()
    assert alert.kind == RUN_FAILED and WRONG_KEY in alert.message
    assert alert.campaign_set_id == summer and "wrong-key" in alert.message


async def test_a_push_that_cannot_open_its_account_is_recorded_too(
    database: Database, summer: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Nothing cached yet: the tokens are needed while opening, before the engine starts.
    monkeypatch.setenv("ADSYNC_ENCRYPTION_KEY", generate_key())

    with pytest.raises(DecryptionError):
        await push_async(database, summer, run_id="unopened", request_id=None)

    (run,) = SyncLogRepository(database).runs(summer)
    assert (run["run_id"], run["status"]) == ("unopened", "failed")
    assert WRONG_KEY in run["summary"]["error"]
    assert [kind for kind, _ in events_of(database, summer, "unopened")] == [JOB_FAILED]
    assert [a.kind for a in AlertRepository(database).list()] == [RUN_FAILED]
    assert CampaignSetRepository(database).get_header(summer).status is not SetStatus.SYNCING


async def test_a_run_left_running_by_a_killed_push_is_failed_by_the_next_push(
    database: Database, summer: int
) -> None:
    log = SyncLogRepository(database)
    log.start_run("killed", summer, None, "cli")  # its process died: no finish

    result = await push_async(database, summer, run_id="next")

    runs = {r["run_id"]: r for r in log.runs(summer)}
    assert result.status == "succeeded" and runs["next"]["status"] == "succeeded"
    assert runs["killed"]["status"] == "failed" and runs["killed"]["finished_at"] is not None
    assert "process ended" in runs["killed"]["summary"]["error"]
    assert "next" in runs["killed"]["summary"]["error"]


async def test_a_permanent_refusal_of_an_ad_raises_one_alert_naming_it_and_the_field(
    database: Database, summer: int, reddit_sandbox: RunningSandbox
) -> None:
    reddit_sandbox.set_faults(reject_names=["^50% off running shoes this summer$"])

    first = await push_async(database, summer, run_id="first")

    assert first.failed == 1 and first.status == "failed"
    assert "shoes/runners-us/half-off" in (first.cause or "")
    (alert,) = AlertRepository(database).list(kind=ENTITY_REJECTED)
    assert "ad 'shoes/runners-us/half-off'" in alert.message
    assert "headline: Rejected by Reddit's ad policy review" in alert.message
    assert alert.details is not None and alert.details["fields"] == [
        {"field": "data/headline", "message": "Rejected by Reddit's ad policy review."}
    ]
    # Entity failures are the entities' alerts; the run itself did not stop.
    assert AlertRepository(database).list(kind=RUN_FAILED) == []
    run = SyncLogRepository(database).latest_run(summer)
    assert run is not None and "headline" in run["summary"]["cause"]
    assert run["summary"]["error"] is None  # the push itself ran through

    second = await push_async(database, summer, run_id="second")  # the same content again

    assert second.failed == 1
    assert len(AlertRepository(database).list(kind=ENTITY_REJECTED)) == 1


def test_an_api_job_whose_push_crashed_streams_job_failed_with_the_cause(
    sqlite_url: str, reddit_env: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    upgrade_database(sqlite_url)
    db = Database.from_url(sqlite_url)
    set_id = CampaignSetRepository(db).import_set(read_campaign_set(EXAMPLE)).campaign_set_id
    connect_sandbox_account(db)
    monkeypatch.setenv("ADSYNC_ENCRYPTION_KEY", generate_key())
    launcher = InProcessLauncher(db)
    app = create_app(db, launcher=launcher, stream_settings=FAST_STREAMS)
    headers = {"Authorization": f"Bearer {ApiKeyRepository(db).create('tests')[1]}"}
    try:
        with (
            serve(app) as running,
            httpx.Client(base_url=running.base_url, headers=headers, timeout=10) as http,
        ):
            job_id = http.post(f"/api/v1/campaign-sets/{set_id}/sync").json()["jobId"]
            url = f"/api/v1/campaign-sets/{set_id}/sync-stream"
            with http.stream("GET", url, params={"jobId": job_id}) as response:
                lines = list(response.iter_lines())
            job = http.get(f"/api/v1/jobs/{job_id}").json()
    finally:
        launcher.shutdown()
        db.dispose()
    events = [line.removeprefix("event: ") for line in lines if line.startswith("event: ")]
    assert events == [JOB_FAILED]  # never a `sync-complete` a client could take for success
    (failure,) = [json.loads(line[6:]) for line in lines if line.startswith("data: ")]
    assert failure["status"] == "failed" and WRONG_KEY in failure["error"]
    assert job["status"] == "failed"
    assert WRONG_KEY in json.dumps(job["result"])


async def test_an_entity_that_fails_its_third_attempt_raises_one_gave_up_alert(
    database: Database, summer: int, reddit_sandbox: RunningSandbox
) -> None:
    await push_async(database, summer)
    rename_campaigns(database, summer)
    reddit_sandbox.set_faults(force_status=503)
    # One attempt per call keeps it short; the breaker stays out of the way.
    opener = partial(open_adapter, max_attempts=1)
    options = PushOptions(force=True, breaker=BreakerPolicy(min_calls=10_000))

    for attempt in range(1, 4):
        result = await push_async(database, summer, options=options, opener=opener)
        assert result.failed >= 1, result.to_dict()
        gave_up = AlertRepository(database).list(kind=ENTITY_GAVE_UP)
        assert len(gave_up) == (2 if attempt == 3 else 0)  # both renamed campaigns

    keys = sorted(a.details["key"] for a in gave_up if a.details)
    assert keys == ["bags", "shoes"]
    assert all("failed 3 times" in a.message and "503" in a.message for a in gave_up)
    # Planned no more: a fourth push neither retries them nor alerts again.
    await push_async(database, summer, options=PushOptions(breaker=options.breaker), opener=opener)
    assert len(AlertRepository(database).list(kind=ENTITY_GAVE_UP)) == 2

from __future__ import annotations

from datetime import timedelta

from dagster import SensorResult, SkipReason, build_sensor_context, instance_for_test
from dagster._core.test_utils import create_run_for_test

from adsync_pipeline.orchestration.partitions import REQUEST_TAG
from adsync_pipeline.orchestration.resources import CampaignStoreResource
from adsync_pipeline.orchestration.sensors import MAX_REQUESTS_PER_TICK, pending_campaign_sets
from adsync_pipeline.store.db import Database
from adsync_pipeline.store.models import SyncRequest, utcnow
from adsync_pipeline.store.sync_requests import SyncRequestRepository
from adsync_pipeline.sync.requests import request_sync
from tests.orchestration.conftest import add_set


def _tick(instance, store_url: str, cursor: str | None):
    context = build_sensor_context(
        instance=instance,
        cursor=cursor,
        resources={"store": CampaignStoreResource(database_url=store_url)},
    )
    return pending_campaign_sets(context)


def test_one_request_one_run_request_never_twice(store: Database, store_url: str) -> None:
    set_id, account_id = add_set(store)
    request_id = request_sync(store, set_id, "ana")
    with instance_for_test() as instance:
        result = _tick(instance, store_url, None)
        assert isinstance(result, SensorResult)
        (run,) = result.run_requests
        assert run.run_key == f"{set_id}:{request_id}"
        assert run.partition_key == f"{set_id}-summer"  # the set's id and name
        assert run.tags == {
            "adsync/ad_account": str(account_id),
            "adsync/platform": "reddit",
            "adsync/request_id": str(request_id),
            "adsync/trigger": "manual",
        }
        (partitions,) = result.dynamic_partitions_requests
        assert list(partitions.partition_keys) == [f"{set_id}-summer"]
        assert result.cursor == str(request_id)

        again = _tick(instance, store_url, result.cursor)
        assert isinstance(again, SkipReason)


def test_new_request_for_same_set_gets_a_new_run(store: Database, store_url: str) -> None:
    set_id, _ = add_set(store)
    first = request_sync(store, set_id, "ana")
    with instance_for_test() as instance:
        cursor = _tick(instance, store_url, None).cursor
        instance.add_dynamic_partitions("campaign_sets", [f"{set_id}-summer"])
        # Its run started (a request still waiting for one would be joined instead).
        SyncRequestRepository(store).mark_launched(first, "run-1")
        second = request_sync(store, set_id, "ana", trigger="api")
        result = _tick(instance, store_url, cursor)
        (run,) = result.run_requests
        assert run.run_key == f"{set_id}:{second}" != f"{set_id}:{first}"
        assert run.tags["adsync/trigger"] == "api"
        assert result.dynamic_partitions_requests == []  # the partition exists already


def test_launched_run_is_recorded_on_the_request(store: Database, store_url: str) -> None:
    set_id, _ = add_set(store)
    request_id = request_sync(store, set_id, "ana")
    with instance_for_test() as instance:
        cursor = _tick(instance, store_url, None).cursor
        run = create_run_for_test(
            instance, job_name="push_campaign_set", tags={REQUEST_TAG: str(request_id)}
        )
        assert isinstance(_tick(instance, store_url, cursor), SkipReason)
        assert SyncRequestRepository(store).get(request_id).dagster_run_id == run.run_id


def test_request_below_cursor_without_a_run_is_served_again_later(
    store: Database, store_url: str
) -> None:
    set_id, _ = add_set(store)
    request_id = request_sync(store, set_id, "ana")
    with store.transaction() as session:
        session.get(SyncRequest, request_id).requested_at = utcnow() - timedelta(minutes=5)
    with instance_for_test() as instance:
        result = _tick(instance, store_url, str(request_id))
        (run,) = result.run_requests
        assert run.run_key == f"{set_id}:{request_id}"  # same key: Dagster dedupes it


def test_work_per_tick_is_capped_and_nothing_is_skipped(store: Database, store_url: str) -> None:
    # One set each: requests of one set still waiting for a run are one request.
    sets = [add_set(store, name=f"Set {n}")[0] for n in range(MAX_REQUESTS_PER_TICK + 5)]
    ids = [request_sync(store, set_id, "bulk") for set_id in sets]
    with instance_for_test() as instance:
        first = _tick(instance, store_url, None)
        assert len(first.run_requests) == MAX_REQUESTS_PER_TICK
        for run in first.run_requests:  # the daemon would launch them; pretend it did
            create_run_for_test(instance, job_name="push_campaign_set", tags=run.tags)
        second = _tick(instance, store_url, first.cursor)
        served = [r.tags[REQUEST_TAG] for r in (*first.run_requests, *second.run_requests)]
        assert served == [str(i) for i in ids]

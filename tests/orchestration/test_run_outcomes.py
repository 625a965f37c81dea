"""The push job run in-process: a push that cannot run fails the run, closes the request
and raises one alert naming the cause, whether the push or the failure sensor saw it."""

from __future__ import annotations

import pytest
from dagster import DagsterEventType, build_run_status_sensor_context, instance_for_test

from adsync_pipeline.definitions import defs
from adsync_pipeline.orchestration.partitions import REQUEST_TAG
from adsync_pipeline.orchestration.resources import CampaignStoreResource
from adsync_pipeline.orchestration.sensors import push_run_failed
from adsync_pipeline.store.alerts import AlertRepository
from adsync_pipeline.store.db import Database
from adsync_pipeline.store.sync_log import SyncLogRepository
from adsync_pipeline.store.sync_requests import FAILED, SyncRequestRepository
from adsync_pipeline.sync.alerts import RUN_FAILED
from adsync_pipeline.sync.requests import request_sync
from tests.orchestration.conftest import add_campaign, add_set


def test_failed_push_fails_the_run_and_alerts_once(
    store: Database, store_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ADSYNC_DATABASE_URL", store_url)
    monkeypatch.delenv("ADSYNC_ALERT_WEBHOOK_URL", raising=False)
    set_id, _ = add_set(store)  # its account has no connection: the push cannot start
    add_campaign(store, set_id, "shoes")
    request_id = request_sync(store, set_id, "ana")
    with instance_for_test() as instance:
        instance.add_dynamic_partitions("campaign_sets", [str(set_id)])
        result = defs.resolve_job_def("push_campaign_set").execute_in_process(
            instance=instance,
            partition_key=str(set_id),
            tags={REQUEST_TAG: str(request_id)},
            raise_on_error=False,
        )
        assert not result.success
        request = SyncRequestRepository(store).get(request_id)
        assert request.status == FAILED and request.dagster_run_id == result.run_id

        failure = next(
            e for e in result.all_events if e.event_type == DagsterEventType.PIPELINE_FAILURE
        )
        for _ in range(2):  # a sensor may see the same failure twice: one alert
            context = build_run_status_sensor_context(
                sensor_name="push_run_failed",
                dagster_event=failure,
                dagster_instance=instance,
                dagster_run=result.dagster_run,
                resources={"store": CampaignStoreResource(database_url=store_url)},
            ).for_run_failure()
            push_run_failed(context)
    # Raised by the push itself, where the cause is known; the sensor raised no second one.
    (alert,) = AlertRepository(store).list()
    assert alert.kind == RUN_FAILED
    assert alert.campaign_set_id == set_id and alert.dagster_run_id == result.run_id
    assert "t2_sandbox01" in alert.message and "is not connected" in alert.message
    assert "is not connected" in (request.result or {})["cause"]
    run = SyncLogRepository(store).latest_run(set_id)
    assert run is not None and run["run_id"] == result.run_id and run["status"] == "failed"
    assert "is not connected" in run["summary"]["error"]


def test_a_run_that_failed_before_its_push_alerts_from_the_sensor_with_the_cause(
    store: Database, store_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ADSYNC_DATABASE_URL", store_url)
    monkeypatch.delenv("ADSYNC_ALERT_WEBHOOK_URL", raising=False)
    with instance_for_test() as instance:
        instance.add_dynamic_partitions("campaign_sets", ["99"])  # no such set
        result = defs.resolve_job_def("push_campaign_set").execute_in_process(
            instance=instance, partition_key="99", raise_on_error=False
        )
        assert not result.success
        assert AlertRepository(store).list() == []  # the push never started
        failure = next(
            e for e in result.all_events if e.event_type == DagsterEventType.PIPELINE_FAILURE
        )
        for _ in range(2):
            context = build_run_status_sensor_context(
                sensor_name="push_run_failed",
                dagster_event=failure,
                dagster_instance=instance,
                dagster_run=result.dagster_run,
                resources={"store": CampaignStoreResource(database_url=store_url)},
            ).for_run_failure()
            push_run_failed(context)
    (alert,) = AlertRepository(store).list()
    assert alert.kind == RUN_FAILED and alert.dagster_run_id == result.run_id
    # The failed step's own error, on one line, not Dagster's "a step failed".
    assert alert.message.endswith(": campaign set 99 not found")
    assert "\n" not in alert.message

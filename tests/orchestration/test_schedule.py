from __future__ import annotations

from datetime import timedelta

from dagster import SkipReason, build_schedule_context, instance_for_test
from dagster._core.test_utils import create_run_for_test

from adsync_pipeline.orchestration.partitions import RETRY_KEY_TAG
from adsync_pipeline.orchestration.resources import CampaignStoreResource
from adsync_pipeline.orchestration.schedules import retry_failed_syncs
from adsync_pipeline.store.db import Database
from adsync_pipeline.store.models import utcnow
from tests.orchestration.conftest import add_campaign, add_set


def _tick(instance, store_url: str, now=None):
    context = build_schedule_context(
        instance=instance,
        scheduled_execution_time=now or utcnow(),
        resources={"store": CampaignStoreResource(database_url=store_url)},
    )
    return retry_failed_syncs(context)


def test_due_failure_gets_a_retry_run_keyed_by_attempt(store: Database, store_url: str) -> None:
    set_id, account_id = add_set(store)
    past = utcnow() - timedelta(minutes=1)
    add_campaign(store, set_id, "a", sync_status="failed", attempts=1, next_attempt_at=past)
    add_campaign(store, set_id, "b", sync_status="failed", attempts=2, next_attempt_at=past)
    add_campaign(store, set_id, "c", sync_status="synced")
    with instance_for_test() as instance:
        (run,) = _tick(instance, store_url)
        assert run.run_key == f"retry:{set_id}:2"
        assert run.partition_key == f"{set_id}-summer"
        assert run.tags["adsync/trigger"] == "retry"
        assert run.tags["adsync/ad_account"] == str(account_id)
        assert instance.has_dynamic_partition("campaign_sets", f"{set_id}-summer")


def test_next_attempt_at_is_respected(store: Database, store_url: str) -> None:
    set_id, _ = add_set(store)
    soon = utcnow() + timedelta(minutes=3)
    add_campaign(store, set_id, "a", sync_status="failed", attempts=1, next_attempt_at=soon)
    with instance_for_test() as instance:
        assert isinstance(_tick(instance, store_url), SkipReason)
        (run,) = _tick(instance, store_url, now=soon + timedelta(seconds=1))
        assert run.run_key == f"retry:{set_id}:1"


def test_three_attempts_cap(store: Database, store_url: str) -> None:
    set_id, _ = add_set(store)
    past = utcnow() - timedelta(minutes=1)
    add_campaign(store, set_id, "a", sync_status="failed", attempts=3, next_attempt_at=past)
    with instance_for_test() as instance:
        assert isinstance(_tick(instance, store_url), SkipReason)


def test_same_attempt_never_runs_twice(store: Database, store_url: str) -> None:
    set_id, _ = add_set(store)
    past = utcnow() - timedelta(minutes=1)
    add_campaign(store, set_id, "a", sync_status="failed", attempts=1, next_attempt_at=past)
    with instance_for_test() as instance:
        (run,) = _tick(instance, store_url)
        create_run_for_test(instance, job_name="push_campaign_set", tags=run.tags)
        assert run.tags[RETRY_KEY_TAG] == f"{set_id}:1"
        assert isinstance(_tick(instance, store_url), SkipReason)

"""Sensors: serve sync requests, and close the requests of push runs that failed."""
# No `from __future__ import annotations`: Dagster inspects the context type hints.

from datetime import timedelta

from dagster import (
    DefaultSensorStatus,
    RunFailureSensorContext,
    RunRequest,
    RunsFilter,
    SensorEvaluationContext,
    SensorResult,
    SkipReason,
    run_failure_sensor,
    sensor,
)

from adsync_pipeline.orchestration.jobs import push_campaign_set
from adsync_pipeline.orchestration.partitions import (
    ACCOUNT_TAG,
    REQUEST_TAG,
    campaign_sets,
    push_tags,
    set_id_of,
    set_partition_key,
)
from adsync_pipeline.orchestration.resources import CampaignStoreResource
from adsync_pipeline.store.campaign_sets import CampaignSetRepository
from adsync_pipeline.store.models import utcnow
from adsync_pipeline.store.sync_requests import SyncRequestRecord, SyncRequestRepository
from adsync_pipeline.sync.alerts import alert_on_failed_run
from adsync_pipeline.sync.results import one_line
from adsync_pipeline.sync.serve import record_run_failure

SENSOR_INTERVAL_S = 15
MAX_REQUESTS_PER_TICK = 25
# A request at or below the cursor still without a run this long after it was made was
# never launched (a failed submission, or a PostgreSQL id committed out of order): serve it
# again. The run key makes that harmless if a run does exist after all.
RESERVE_AFTER = timedelta(minutes=2)


@sensor(
    job=push_campaign_set,
    minimum_interval_seconds=SENSOR_INTERVAL_S,
    default_status=DefaultSensorStatus.RUNNING,
    description="One push run per sync request (`adsync sync SET_ID`).",
)
def pending_campaign_sets(
    context: SensorEvaluationContext, store: CampaignStoreResource
) -> SensorResult | SkipReason:
    cursor = int(context.cursor or 0)
    db = store.database()
    try:
        repo = SyncRequestRepository(db)
        # Above the cursor: never served. At or below it: served, run not yet recorded.
        to_serve = repo.unserved(limit=MAX_REQUESTS_PER_TICK, after_id=cursor)
        for request in repo.unserved(limit=MAX_REQUESTS_PER_TICK):
            if request.id > cursor:
                break
            run_id = _run_for_request(context, request.id)
            if run_id is not None:
                repo.mark_launched(request.id, run_id)
            elif utcnow() - request.requested_at > RESERVE_AFTER:
                to_serve.append(request)
        names = (
            CampaignSetRepository(db).names([r.campaign_set_id for r in to_serve])
            if to_serve
            else {}
        )
    finally:
        db.dispose()
    if not to_serve:
        return SkipReason("no unserved sync requests")
    keys = {r.id: set_partition_key(r.campaign_set_id, names[r.campaign_set_id]) for r in to_serve}
    known = context.instance.get_dynamic_partitions(campaign_sets.name)
    new_keys = sorted(set(keys.values()) - set(known))
    return SensorResult(
        run_requests=[_run_request(r, keys[r.id]) for r in to_serve],
        dynamic_partitions_requests=[campaign_sets.build_add_request(new_keys)] if new_keys else [],
        cursor=str(max([cursor, *(r.id for r in to_serve)])),
    )


def _run_request(request: SyncRequestRecord, partition_key: str) -> RunRequest:
    tags = push_tags(request.ad_account_id, request.platform, request.trigger)
    tags[REQUEST_TAG] = str(request.id)
    return RunRequest(
        run_key=f"{request.campaign_set_id}:{request.id}",
        partition_key=partition_key,
        tags=tags,
    )


def _run_for_request(context: SensorEvaluationContext, request_id: int) -> str | None:
    runs = context.instance.get_runs(
        filters=RunsFilter(tags={REQUEST_TAG: str(request_id)}), limit=1
    )
    return runs[0].run_id if runs else None


@run_failure_sensor(
    monitored_jobs=[push_campaign_set],
    default_status=DefaultSensorStatus.RUNNING,
    description="Close a failed push run's sync request; alert if its push never recorded one.",
)
def push_run_failed(context: RunFailureSensorContext, store: CampaignStoreResource) -> None:
    run = context.dagster_run
    cause = _failure_cause(context)
    partition = run.tags.get("dagster/partition")
    account = run.tags.get(ACCOUNT_TAG)
    db = store.database()
    try:
        # The push raised its own alerts where it could; this covers a run that died first.
        alert_on_failed_run(
            db,
            run.run_id,
            set_id_of(partition) if partition else None,
            int(account) if account else None,
            cause,
        )
        if REQUEST_TAG in run.tags:
            record_run_failure(db, int(run.tags[REQUEST_TAG]), run.run_id, cause)
    finally:
        db.dispose()


def _failure_cause(context: RunFailureSensorContext) -> str:
    """The failed step's own error in one line; the run's failure message only says that a
    step failed."""
    for event in context.get_step_failure_events():
        data = event.step_failure_data
        if data.user_failure_data is not None and data.user_failure_data.description:
            return one_line(data.user_failure_data.description)
        error = data.error
        # Dagster wraps the step's exception in its own errors: the first other one is it.
        while error is not None and error.cls_name.startswith("Dagster") and error.cause:
            error = error.cause
        if error is not None and error.message.strip():
            return one_line(_without_module(error.cls_name, error.message))
    return one_line(context.failure_event.message or "the run failed before any step ran")


def _without_module(cls_name: str, message: str) -> str:
    """`adsync_pipeline.errors.NotFoundError: campaign set 9 not found` → the message alone
    (adsync's errors are written for a person); others keep their bare class name."""
    head, sep, rest = message.strip().partition(": ")
    if not sep or head.rsplit(".", 1)[-1] != cls_name:
        return message
    return rest if head.startswith("adsync_pipeline.") else f"{cls_name}: {rest}"

"""Schedules: retries of failed entities. Reconciliation adds its own next to it."""
# No `from __future__ import annotations`: Dagster inspects the context type hints.

from dagster import (
    DagsterRunStatus,
    DefaultScheduleStatus,
    RunRequest,
    RunsFilter,
    ScheduleEvaluationContext,
    SkipReason,
    schedule,
)

from adsync_pipeline.domain.plan import MAX_ATTEMPTS
from adsync_pipeline.orchestration.jobs import push_campaign_set
from adsync_pipeline.orchestration.partitions import (
    RETRY_KEY_TAG,
    campaign_sets,
    push_tags,
    set_partition_key,
)
from adsync_pipeline.orchestration.resources import CampaignStoreResource
from adsync_pipeline.store.campaign_sets import CampaignSetRepository
from adsync_pipeline.store.models import utcnow
from adsync_pipeline.store.sync_health import due_retries

# Runs of one retry key that may fail (refused by the breaker, crashed) before the
# schedule stops trying that attempt and leaves it to the failure alerts and a person.
MAX_RUNS_PER_ATTEMPT = 3
_GIVEN_UP_RUN_STATUSES = (DagsterRunStatus.FAILURE, DagsterRunStatus.CANCELED)


@schedule(
    job=push_campaign_set,
    cron_schedule="*/5 * * * *",
    default_status=DefaultScheduleStatus.RUNNING,
    description=f"Push sets whose failed entities are due for a retry (< {MAX_ATTEMPTS} tries).",
)
def retry_failed_syncs(
    context: ScheduleEvaluationContext, store: CampaignStoreResource
) -> list[RunRequest] | SkipReason:
    now = context.scheduled_execution_time or utcnow()
    db = store.database()
    try:
        due = due_retries(db, now)
        names = CampaignSetRepository(db).names([r.campaign_set_id for r in due]) if due else {}
    finally:
        db.dispose()
    requests: list[RunRequest] = []
    for retry in due:
        retry_key = f"{retry.campaign_set_id}:{retry.attempt}"
        if not _attempt_still_open(context, retry_key):
            continue
        partition = set_partition_key(retry.campaign_set_id, names[retry.campaign_set_id])
        if not context.instance.has_dynamic_partition(campaign_sets.name, partition):
            # The push_history sensor adds every set's partition, but may not have ticked yet.
            context.instance.add_dynamic_partitions(campaign_sets.name, [partition])
        tags = push_tags(retry.ad_account_id, retry.platform, "retry")
        tags[RETRY_KEY_TAG] = retry_key
        requests.append(
            RunRequest(run_key=f"retry:{retry_key}", partition_key=partition, tags=tags)
        )
    return requests or SkipReason("no failed entities due for a retry")


def _attempt_still_open(context: ScheduleEvaluationContext, retry_key: str) -> bool:
    """False when a run for this attempt exists (or has failed too often): never twice."""
    runs = context.instance.get_runs(filters=RunsFilter(tags={RETRY_KEY_TAG: retry_key}))
    failed = [r for r in runs if r.status in _GIVEN_UP_RUN_STATUSES]
    return len(runs) == len(failed) and len(failed) < MAX_RUNS_PER_ATTEMPT

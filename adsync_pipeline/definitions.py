"""The Dagster code location of adsync (loaded by `workspace.yaml`)."""

from __future__ import annotations

from dagster import Definitions, ScheduleDefinition, SensorDefinition

from adsync_pipeline.orchestration.assets import campaign_hierarchy, platform_push
from adsync_pipeline.orchestration.history import push_history
from adsync_pipeline.orchestration.jobs import push_campaign_set
from adsync_pipeline.orchestration.reconcile import (
    platform_snapshot,
    reconcile_account_job,
    reconcile_platforms,
    reconciliation,
    resolve_conflict_job,
)
from adsync_pipeline.orchestration.resources import default_resources
from adsync_pipeline.orchestration.schedules import retry_failed_syncs
from adsync_pipeline.orchestration.sensors import (
    pending_campaign_sets,
    push_run_failed,
)

ASSETS = [campaign_hierarchy, platform_push, platform_snapshot, reconciliation]
JOBS = [push_campaign_set, reconcile_account_job, resolve_conflict_job]
SCHEDULES: list[ScheduleDefinition] = [retry_failed_syncs, reconcile_platforms]
SENSORS: list[SensorDefinition] = [
    pending_campaign_sets,
    push_history,
    push_run_failed,
]

defs = Definitions(
    assets=ASSETS,
    jobs=JOBS,
    schedules=SCHEDULES,
    sensors=SENSORS,
    resources=default_resources(),
)

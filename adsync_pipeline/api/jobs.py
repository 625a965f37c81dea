"""Jobs: a job is a sync request; its progress is counted from the engine's events."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter

from adsync_pipeline.api.deps import Db, JobId, Launcher
from adsync_pipeline.api.errors import COMMON_RESPONSES
from adsync_pipeline.api.schemas import Job, JobAccepted, JobResult, Progress
from adsync_pipeline.domain.plan import OpKind, make_plan
from adsync_pipeline.store.campaign_sets import CampaignSetRepository
from adsync_pipeline.store.db import Database
from adsync_pipeline.store.events import EventRepository
from adsync_pipeline.store.sync_requests import (
    FINISHED_STATUSES,
    SyncRequestRecord,
    SyncRequestRepository,
)
from adsync_pipeline.sync.push import index_entities
from adsync_pipeline.sync.requests import request_sync

TRIGGER = "api"

router = APIRouter(prefix="/api/v1", tags=["jobs"], responses=COMMON_RESPONSES)


def queue_sync(
    db: Database, set_id: int, caller: str | None, launcher: Launcher | None
) -> JobAccepted:
    request_id = request_sync(db, set_id, requested_by=caller, trigger=TRIGGER)
    if launcher is not None:
        launcher(set_id, request_id)
    return JobAccepted(jobId=str(request_id), status="queued")


def _estimated_total(db: Database, request: SyncRequestRecord) -> int:
    """Entities the push will report on, while only its engine knows: those reported so
    far, plus those a plan made now would still touch (writes, and skips, which are
    reported too), plus those stored as synced by this run whose report is still on its
    way. Exact for a queued job, and for a running one whose set is not edited meanwhile."""
    # Reports first, then the set: anything reported in between is then seen as synced.
    reported = EventRepository(db).reported(request.id)
    campaign_set = CampaignSetRepository(db).load(request.campaign_set_id)
    entities = index_entities(campaign_set)
    remaining = 0
    for op in make_plan(campaign_set, datetime.now(UTC)).ops:
        if (op.entity_type.value, "/".join(op.key_path)) in reported:
            continue
        if op.op is not OpKind.NOOP:
            remaining += 1
            continue
        synced_at = entities[(op.entity_type, op.key_path)].sync.last_synced_at
        if request.launched_at and synced_at and synced_at >= request.launched_at:
            remaining += 1
    return len(reported) + remaining


def job_view(db: Database, request: SyncRequestRecord) -> Job:
    progress = EventRepository(db).progress(request.id)
    if progress.total is not None:
        # The engine's own count (its `sync-start`, else its `sync-complete`): from then
        # on, polling the job reads no part of the set.
        total = progress.total
    elif request.status in FINISHED_STATUSES:
        # Ended without announcing a plan (refused, or died before planning).
        total = progress.done
    else:
        # Queued, or running but its `sync-start` not committed yet (it goes out with the
        # run's first outcome): only then estimate from the set and its plan.
        total = _estimated_total(db, request)
    return Job(
        jobId=str(request.id),
        campaignSetId=request.campaign_set_id,
        operation=request.operation,
        trigger=request.trigger,
        status=request.status,  # type: ignore[arg-type]
        progress=Progress(
            synced=progress.synced,
            failed=progress.failed,
            skipped=progress.skipped,
            total=total,
        ),
        result=job_result(request.result),
        dagsterRunId=request.dagster_run_id,
        requestedAt=request.requested_at,
        requestedBy=request.requested_by,
        finishedAt=request.finished_at,
    )


# The store keeps a push's result as the engine names its fields; the API speaks camelCase.
RENAMED = {"duration_s": "durationSeconds"}


def camel_case(name: str) -> str:
    if name in RENAMED:
        return RENAMED[name]
    first, *rest = name.split("_")
    return first + "".join(part[:1].upper() + part[1:] for part in rest)


def camel_keys(value: Any) -> Any:
    """`value` with every dict key in camelCase, at any depth."""
    if isinstance(value, dict):
        return {camel_case(str(k)): camel_keys(v) for k, v in value.items()}
    if isinstance(value, list):
        return [camel_keys(v) for v in value]
    return value


def job_result(result: dict[str, Any] | None) -> JobResult | None:
    return None if result is None else JobResult.model_validate(camel_keys(result))


@router.get("/jobs/{jobId}", summary="A job's status and progress")
def get_job(job_id: JobId, db: Db) -> Job:
    return job_view(db, SyncRequestRepository(db).get(job_id))

"""Jobs: a job is a sync request; its progress is counted from the engine's events."""

from __future__ import annotations

from fastapi import APIRouter

from adsync_pipeline.api.deps import Db, JobId, Launcher
from adsync_pipeline.api.errors import COMMON_RESPONSES
from adsync_pipeline.api.schemas import Job, JobAccepted, Progress
from adsync_pipeline.store.db import Database
from adsync_pipeline.store.events import EventRepository
from adsync_pipeline.store.sync_requests import SyncRequestRecord, SyncRequestRepository
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


def job_view(db: Database, request: SyncRequestRecord) -> Job:
    progress = EventRepository(db).progress(request.id)
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
            total=progress.total,
        ),
        result=request.result,
        dagsterRunId=request.dagster_run_id,
        requestedAt=request.requested_at,
        requestedBy=request.requested_by,
        finishedAt=request.finished_at,
    )


@router.get("/jobs/{jobId}", summary="A job's status and progress")
def get_job(job_id: JobId, db: Db) -> Job:
    return job_view(db, SyncRequestRepository(db).get(job_id))

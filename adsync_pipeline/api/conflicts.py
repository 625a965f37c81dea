"""Conflicts between local and platform edits, and settling them."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from adsync_pipeline.api import schemas
from adsync_pipeline.api.deps import MAX_ID, Caller, ConflictId, Db, LauncherDep
from adsync_pipeline.api.errors import COMMON_RESPONSES
from adsync_pipeline.api.jobs import queue_sync
from adsync_pipeline.domain.model import SyncStatus
from adsync_pipeline.store.conflicts import ConflictRecord, ConflictRepository
from adsync_pipeline.sync.conflicts import resolve_conflict

router = APIRouter(prefix="/api/v1/conflicts", tags=["conflicts"], responses=COMMON_RESPONSES)


def _view(record: ConflictRecord) -> schemas.Conflict:
    return schemas.Conflict(
        id=record.id,
        campaignSetId=record.campaign_set_id,
        entityType=record.entity_type,
        entityId=record.entity_id,
        entityKey=record.entity_key,
        field=record.field,
        baseValue=record.base,
        localValue=record.local,
        remoteValue=record.remote,
        detectedAt=record.detected_at,
        resolvedAt=record.resolved_at,
        resolvedBy=record.resolved_by,
        resolution=record.resolution,
    )


@router.get("", summary="Conflicts, open ones only unless asked")
def list_conflicts(
    db: Db,
    campaign_set_id: Annotated[int | None, Query(alias="campaignSetId", ge=1, le=MAX_ID)] = None,
    include_resolved: Annotated[bool, Query(alias="includeResolved")] = False,
) -> list[schemas.Conflict]:
    records = ConflictRepository(db).list(include_resolved=include_resolved)
    return [
        _view(r) for r in records if campaign_set_id is None or r.campaign_set_id == campaign_set_id
    ]


@router.post(
    "/{conflictId}/resolve",
    summary="Settle a conflict by keeping the local or the platform value",
    responses={409: {"model": schemas.ErrorResponse, "description": "Already resolved."}},
)
def resolve(
    conflict_id: ConflictId,
    body: schemas.ResolveConflict,
    db: Db,
    caller: Caller,
    launcher: LauncherDep,
) -> schemas.ConflictResolution:
    # The push that sends a kept local value is queued as a job, not run in the request.
    resolution = resolve_conflict(db, conflict_id, body.use, caller or "api", push=None)
    job = None
    if resolution.sync_status is SyncStatus.PENDING:
        job = queue_sync(db, resolution.conflict.campaign_set_id, caller, launcher)
    return schemas.ConflictResolution(
        conflict=_view(resolution.conflict),
        entitySyncStatus=resolution.sync_status.value,
        jobId=job.jobId if job else None,
    )

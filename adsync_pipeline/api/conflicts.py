"""Conflicts between local and platform edits, and settling them."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from adsync_pipeline.api import schemas
from adsync_pipeline.api.deps import MAX_ID, Caller, ConflictId, ConflictResolverDep, Db
from adsync_pipeline.api.errors import COMMON_RESPONSES
from adsync_pipeline.store.conflicts import ConflictRecord, ConflictRepository

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
    resolver: ConflictResolverDep,
) -> schemas.Conflict:
    repo = ConflictRepository(db)
    repo.get(conflict_id)
    resolver(db, conflict_id, body.use, caller or "api")
    return _view(repo.get(conflict_id))

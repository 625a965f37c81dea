"""Campaign sets: CRUD with the importer's semantics, sync requests, pause/resume, audit."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import JSONResponse

from adsync_pipeline.api import schemas
from adsync_pipeline.api.deps import (
    Caller,
    Db,
    LauncherDep,
    SetId,
    StatusPusherDep,
)
from adsync_pipeline.api.documents import DOCUMENT_BODY, detail, read_document
from adsync_pipeline.api.errors import COMMON_RESPONSES, error_response
from adsync_pipeline.api.jobs import job_view, queue_sync
from adsync_pipeline.domain.model import CampaignSet, EntityStatus, SetStatus
from adsync_pipeline.domain.pulled import PulledFieldsReverted
from adsync_pipeline.errors import AdsyncError, ValidationFailed
from adsync_pipeline.store.campaign_sets import (
    CampaignSetHeader,
    CampaignSetRepository,
    ImportResult,
)
from adsync_pipeline.store.db import Database
from adsync_pipeline.store.sync_log import SyncLogRepository
from adsync_pipeline.store.sync_requests import SyncRequestRepository
from adsync_pipeline.sync.imports import import_document

router = APIRouter(
    prefix="/api/v1/campaign-sets", tags=["campaign sets"], responses=COMMON_RESPONSES
)
CONFLICT = {409: {"model": schemas.ErrorResponse, "description": "The set's state forbids it."}}
BODY_ERRORS = {
    413: {"model": schemas.ErrorResponse, "description": "Document too large."},
    415: {"model": schemas.ErrorResponse, "description": "Body is not application/json."},
}
# OpenAPI links: what a created set's id and a job's id lead to (clients and generated
# tests follow them).
SET_LINKS = {
    name: {"operationId": name, "parameters": {"setId": "$response.body#/id"}}
    for name in (
        "get_set",
        "replace_set",
        "sync_set",
        "sync_status",
        "pause_set",
        "resume_set",
        "audit",
        "delete_set",
    )
}
JOB_LINKS = {
    "get_job": {"operationId": "get_job", "parameters": {"jobId": "$response.body#/jobId"}}
}


class SetArchived(AdsyncError):
    pass


def _counts(counts: dict[str, int]) -> schemas.EntityCounts:
    return schemas.EntityCounts(
        campaigns=counts.get("campaigns", 0),
        adGroups=counts.get("ad_groups", 0),
        ads=counts.get("ads", 0),
        keywords=counts.get("keywords", 0),
    )


def _outcome(result: ImportResult) -> schemas.ImportOutcome:
    return schemas.ImportOutcome(
        id=result.campaign_set_id,
        created=result.created,
        revision=result.revision,
        counts=_counts(result.counts),
        added=result.added,
        updated=result.updated,
        removed=result.removed,
        unchanged=result.unchanged,
    )


def _live(header: CampaignSetHeader) -> CampaignSetHeader:
    if header.status is SetStatus.ARCHIVED:
        raise SetArchived(
            f"campaign set {header.id} is archived: its removal from the platform was queued "
            "when it was archived, and it cannot be changed, paused, resumed or synced again"
        )
    return header


@router.get("", summary="Every campaign set")
def list_sets(db: Db) -> list[schemas.CampaignSetSummary]:
    return [
        schemas.CampaignSetSummary(
            id=s.id,
            name=s.name,
            platform=s.platform,
            adAccountId=s.ad_account_id,
            status=s.status.value,
            syncStatus=s.sync_status.value,
            revision=s.revision,
            counts=schemas.EntityCounts(
                campaigns=s.campaigns, adGroups=s.ad_groups, ads=s.ads, keywords=s.keywords
            ),
            lastSyncedAt=s.last_synced_at,
        )
        for s in CampaignSetRepository(db).list()
    ]


@router.post(
    "",
    status_code=201,
    summary="Create a campaign set from an import document",
    openapi_extra=DOCUMENT_BODY,
    responses={201: {"links": SET_LINKS}, **CONFLICT, **BODY_ERRORS},
)
async def create_set(request: Request, response: Response, db: Db) -> schemas.ImportOutcome:
    doc = await read_document(request)
    repo = CampaignSetRepository(db)
    existing = repo.find_by_name(doc.ad_account_id, doc.name, doc.platform)
    if existing is not None:
        # Creating never updates: PUT is the explicit re-import.
        raise AdsyncError(
            f"campaign set {doc.name!r} exists already under account {doc.ad_account_id} "
            f"(id {existing.id}): PUT /api/v1/campaign-sets/{existing.id} to re-import it"
        )
    result = repo.import_set(doc)
    response.headers["Location"] = f"/api/v1/campaign-sets/{result.campaign_set_id}"
    return _outcome(result)


@router.get("/{setId}", summary="A campaign set's hierarchy, statuses and platform ids")
def get_set(set_id: SetId, db: Db) -> schemas.CampaignSetDetail:
    return detail(CampaignSetRepository(db).load(set_id))


@router.put(
    "/{setId}",
    summary="Re-import a campaign set (matched by key at every level)",
    description="Refused with 409 when the document sets back values reconcile pulled from "
    "the platform (`problems` lists each); `force=true` imports it anyway and the next push "
    "sends the document's values.",
    openapi_extra=DOCUMENT_BODY,
    responses={**CONFLICT, **BODY_ERRORS},
    response_model=schemas.ImportOutcome,
)
async def replace_set(
    set_id: SetId,
    request: Request,
    db: Db,
    force: Annotated[
        bool, Query(description="Import even where the document undoes platform edits.")
    ] = False,
) -> schemas.ImportOutcome | JSONResponse:
    repo = CampaignSetRepository(db)
    stored = _live(repo.get_header(set_id))
    doc = await read_document(request)
    # The name and account are the set's identity in the importer: a document naming
    # another set would update or create that one, not this.
    problems = [
        f"body: {name}: must be {want!r}, the set's own (got {got!r})"
        for name, want, got in (
            ("name", stored.name, doc.name),
            ("platform", stored.platform, doc.platform),
            ("ad_account_id", stored.ad_account_id, doc.ad_account_id),
        )
        if want != got
    ]
    if problems:
        raise ValidationFailed(problems)
    try:
        return _outcome(import_document(db, doc, force=force))
    except PulledFieldsReverted as refused:
        return error_response(
            409,
            f"re-importing would undo {refused.summary(refused.reverts)}. PUT again with "
            "?force=true to send the document's values to the platform anyway",
            [{"path": revert.path, "message": revert.message} for revert in refused.reverts],
        )


@router.delete(
    "/{setId}",
    status_code=202,
    summary="Archive a set locally and queue the removal of its campaigns on the platform",
    responses={202: {"links": JOB_LINKS}},
)
def delete_set(set_id: SetId, db: Db, caller: Caller, launcher: LauncherDep) -> schemas.JobAccepted:
    repo = CampaignSetRepository(db)
    stored = repo.get_header(set_id)
    # Re-importing it empty marks every entity removed, exactly as an import that dropped
    # them would; the push then deletes what exists on the platform.
    repo.import_set(
        CampaignSet(name=stored.name, platform=stored.platform, ad_account_id=stored.ad_account_id)
    )
    repo.archive(set_id)
    return queue_sync(db, set_id, caller, launcher)


@router.post(
    "/{setId}/sync",
    status_code=202,
    summary="Queue a push of the set",
    description="An archived set is refused with 409: its removal push, queued by DELETE, "
    "is its last.",
    responses={202: {"links": JOB_LINKS}, **CONFLICT},
)
def sync_set(set_id: SetId, db: Db, caller: Caller, launcher: LauncherDep) -> schemas.JobAccepted:
    _live(CampaignSetRepository(db).get_header(set_id))
    return queue_sync(db, set_id, caller, launcher)


@router.get("/{setId}/sync-status", summary="The set's sync state and its latest job")
def sync_status(set_id: SetId, db: Db) -> schemas.SyncState:
    header = CampaignSetRepository(db).get_header(set_id)
    latest = SyncRequestRepository(db).latest_for_set(set_id)
    return schemas.SyncState(
        campaignSetId=set_id,
        status=header.status.value,
        syncStatus=header.sync_status.value,
        revision=header.revision,
        lastSyncedAt=header.last_synced_at,
        latestJob=job_view(db, latest) if latest else None,
    )


def _change_status(
    db: Database, set_id: int, status: EntityStatus, pusher: StatusPusherDep
) -> schemas.StatusChange:
    _live(CampaignSetRepository(db).get_header(set_id))
    result = pusher(db, set_id, status)
    return schemas.StatusChange(
        runId=result.run_id,
        campaignSetId=set_id,
        synced=result.synced,
        failed=result.failed,
        skipped=result.skipped,
        refused=result.refused,
        errors=result.errors,
    )


@router.post(
    "/{setId}/pause",
    summary="Pause every campaign of the set on the platform (synchronous)",
    responses=CONFLICT,
)
def pause_set(set_id: SetId, db: Db, pusher: StatusPusherDep) -> schemas.StatusChange:
    return _change_status(db, set_id, EntityStatus.PAUSED, pusher)


@router.post(
    "/{setId}/resume",
    summary="Resume every campaign of the set on the platform (synchronous)",
    description="Each campaign returns to the status its document authors: one authored as "
    "paused stays paused.",
    responses=CONFLICT,
)
def resume_set(set_id: SetId, db: Db, pusher: StatusPusherDep) -> schemas.StatusChange:
    return _change_status(db, set_id, EntityStatus.ACTIVE, pusher)


@router.get("/{setId}/audit", summary="Platform calls made for the set, oldest first")
def audit(
    set_id: SetId,
    db: Db,
    run_id: Annotated[str | None, Query(alias="runId", max_length=64)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
) -> list[schemas.AuditRow]:
    CampaignSetRepository(db).get_header(set_id)
    rows = SyncLogRepository(db).audit_rows(campaign_set_id=set_id, run_id=run_id, limit=limit)
    return [
        schemas.AuditRow(
            id=r["id"],
            runId=r["run_id"],
            createdAt=r["created_at"],
            platform=r["platform"],
            entityType=r["entity_type"],
            entityKey=r["entity_key"],
            operation=r["operation"],
            method=r["method"],
            path=r["path"],
            httpStatus=r["http_status"],
            latencyMs=r["latency_ms"],
            attempt=r["attempt"],
            outcome=r["outcome"],
            error=r["error"],
        )
        for r in rows
    ]

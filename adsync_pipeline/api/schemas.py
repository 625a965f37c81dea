"""Response and request bodies of the HTTP API. Field names are camelCase, as the
campaign builder app (JavaScript) reads them; they are also what `/openapi.json` shows."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, Field

JobStatus = Literal["queued", "running", "completed", "failed"]


class Problem(BaseModel):
    path: str = Field(description="Where the problem is, e.g. `campaigns[1].budget.amount`.")
    message: str


class ErrorDetail(BaseModel):
    code: str
    message: str
    problems: list[Problem] = Field(default_factory=list)


class ErrorResponse(BaseModel):
    error: ErrorDetail


class Health(BaseModel):
    status: Literal["ok"]


# Jobs -----------------------------------------------------------------------------------


class Progress(BaseModel):
    synced: int
    failed: int
    skipped: int
    total: int = Field(
        description="Entities the push reports on: from the engine once it says, until "
        "then estimated from the set's current plan."
    )


class Job(BaseModel):
    jobId: str
    campaignSetId: int
    operation: str
    trigger: str
    status: JobStatus
    progress: Progress
    result: dict[str, Any] | None
    dagsterRunId: str | None = Field(
        description="The Dagster run serving the job; `adsync-…` for in-process runs."
    )
    requestedAt: datetime
    requestedBy: str | None
    finishedAt: datetime | None


class JobAccepted(BaseModel):
    jobId: str
    status: Literal["queued"]


class SyncState(BaseModel):
    campaignSetId: int
    status: str
    syncStatus: str
    revision: int
    lastSyncedAt: datetime | None
    latestJob: Job | None


class StatusChange(BaseModel):
    """What a pause or resume did on the platform."""

    runId: str
    campaignSetId: int
    synced: int
    failed: int
    skipped: int
    refused: str | None
    errors: list[dict[str, Any]]


# Campaign sets --------------------------------------------------------------------------


class EntityCounts(BaseModel):
    campaigns: int
    adGroups: int
    ads: int
    keywords: int


class CampaignSetSummary(BaseModel):
    id: int
    name: str
    platform: str
    adAccountId: str
    status: str
    syncStatus: str
    revision: int
    counts: EntityCounts
    lastSyncedAt: datetime | None


class ImportOutcome(BaseModel):
    id: int
    created: bool
    revision: int
    counts: EntityCounts
    added: int
    updated: int
    removed: int
    unchanged: int


class EntitySync(BaseModel):
    platformId: str | None
    syncStatus: str
    lastSyncedAt: datetime | None
    lastError: str | None
    attempts: int
    nextAttemptAt: datetime | None
    removed: bool


class Budget(BaseModel):
    type: str
    amount: Decimal
    currency: str


class Bidding(BaseModel):
    strategy: str
    amount: Decimal | None


class Targeting(BaseModel):
    subreddits: list[str]
    interests: list[str]
    locations: list[str]
    devices: list[str]


class Keyword(BaseModel):
    key: str
    text: str
    matchType: str
    sync: EntitySync


class Ad(BaseModel):
    key: str
    name: str
    status: str
    headline: str
    description: str
    finalUrl: str
    displayUrl: str | None
    callToAction: str
    sync: EntitySync


class AdGroup(BaseModel):
    key: str
    name: str
    status: str
    bidding: Bidding
    targeting: Targeting
    optimizationGoal: str | None
    sync: EntitySync
    ads: list[Ad]
    keywords: list[Keyword]


class Campaign(BaseModel):
    key: str
    name: str
    objective: str
    status: str
    budget: Budget
    startTime: datetime | None
    endTime: datetime | None
    sync: EntitySync
    adGroups: list[AdGroup]


class CampaignSetDetail(BaseModel):
    id: int
    name: str
    platform: str
    adAccountId: str
    status: str
    syncStatus: str
    revision: int
    lastSyncedAt: datetime | None
    campaigns: list[Campaign]


# Audit and conflicts --------------------------------------------------------------------


class AuditRow(BaseModel):
    id: int
    runId: str | None
    createdAt: datetime
    platform: str
    entityType: str | None
    entityKey: str | None
    operation: str
    method: str
    path: str
    httpStatus: int | None
    latencyMs: int | None
    attempt: int
    outcome: str
    error: str | None


class Conflict(BaseModel):
    id: int
    campaignSetId: int
    entityType: str
    entityId: int
    entityKey: str
    field: str
    baseValue: Any
    localValue: Any
    remoteValue: Any
    detectedAt: datetime
    resolvedAt: datetime | None
    resolvedBy: str | None
    resolution: str | None


class ResolveConflict(BaseModel):
    use: Literal["local", "platform"]


class ConflictResolution(BaseModel):
    conflict: Conflict
    entitySyncStatus: str = Field(description="The entity's sync status after resolving.")
    jobId: str | None = Field(
        description="The push queued to send the kept local value, when one is needed."
    )

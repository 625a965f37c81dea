"""Response and request bodies of the HTTP API. Field names are camelCase, as the
campaign builder app (JavaScript) reads them; they are also what `/openapi.json` shows."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

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


class EntityError(BaseModel):
    entity: str | None = None
    key: str | None = Field(None, description="The entity's key path, e.g. `shoes/runners-us`.")
    message: str | None = None
    retryable: bool | None = None


class JobResult(BaseModel):
    """What the run serving a job recorded when it ended. A run that stopped before
    pushing (it died, or could not start) has only `runId`, `status` and `error`."""

    model_config = ConfigDict(extra="allow")

    runId: str | None = None
    status: str | None = Field(None, description="`succeeded`, `failed` or `refused`.")
    cause: str | None = Field(None, description="Why it failed or was refused, one sentence.")
    error: str | None = Field(None, description="Why the run failed as a whole.")
    refused: str | None = Field(None, description="Why nothing was pushed.")
    synced: int | None = None
    failed: int | None = None
    skipped: int | None = None
    noop: int | None = None
    apiCalls: int | None = None
    rateLimited: int | None = None
    retries: int | None = None
    durationSeconds: float | None = None
    errors: list[EntityError] | None = None


class Job(BaseModel):
    jobId: str
    campaignSetId: int
    operation: str
    trigger: str
    status: JobStatus
    progress: Progress
    result: JobResult | None
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

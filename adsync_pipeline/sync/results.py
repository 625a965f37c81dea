"""What a push reports back: the same shape for the CLI, Dagster metadata and the API."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True)
class EntityOutcome:
    entity: str  # EntityType value
    key: str  # key path joined with "/", e.g. "shoes/runners-us/half-off"
    operation: str  # OpKind value
    status: str  # synced | failed | skipped | noop
    platform_id: str | None = None
    message: str | None = None
    retryable: bool | None = None


@dataclass
class PushResult:
    run_id: str
    campaign_set_id: int
    synced: int = 0
    failed: int = 0
    skipped: int = 0
    noop: int = 0
    api_calls: int = 0
    rate_limited: int = 0
    retries: int = 0
    duration_s: float = 0.0
    refused: str | None = None  # why nothing was pushed: breaker open, or the set is busy
    outcomes: list[EntityOutcome] = field(default_factory=list)

    @property
    def errors(self) -> list[dict[str, Any]]:
        return [
            {"entity": o.entity, "key": o.key, "message": o.message, "retryable": o.retryable}
            for o in self.outcomes
            if o.status == "failed"
        ]

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["errors"] = self.errors
        return data

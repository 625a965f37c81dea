"""What a push reports back: the same shape for the CLI, Dagster metadata and the API."""

from __future__ import annotations

from asyncio import CancelledError
from dataclasses import asdict, dataclass, field
from typing import Any

from adsync_pipeline.errors import AdsyncError

# Run ids made outside Dagster (CLI, API in-process) start so; others are Dagster run ids.
LOCAL_RUN_PREFIX = "adsync-"
SUCCEEDED = "succeeded"
FAILED = "failed"
REFUSED = "refused"
# A cause is one line a person reads in an alert or a status line, not a traceback.
MAX_CAUSE_CHARS = 500


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
    # Why the push failed as a whole: it crashed, could not start, or lost its authorization.
    error: str | None = None
    outcomes: list[EntityOutcome] = field(default_factory=list)

    @property
    def status(self) -> str:
        if self.refused:
            return REFUSED
        return FAILED if self.error or self.failed else SUCCEEDED

    @property
    def cause(self) -> str | None:
        """Why the run was refused or failed, in one sentence; None when it succeeded."""
        if self.refused or self.error:
            return self.refused or self.error
        failures = [o for o in self.outcomes if o.status == "failed"]
        if not failures:
            return None
        first = failures[0]
        entities = "1 entity" if len(failures) == 1 else f"{len(failures)} entities"
        return one_line(
            f"{entities} of {len(self.outcomes)} failed; first {first.entity} "
            f"{first.key!r}: {first.message}"
        )

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
        data["status"] = self.status
        data["cause"] = self.cause
        return data


def one_line(text: str) -> str:
    """`text` on one line, cut to a length an alert or a status line can carry."""
    flat = " ".join(text.split())
    return flat if len(flat) <= MAX_CAUSE_CHARS else flat[: MAX_CAUSE_CHARS - 1] + "…"


def describe_failure(exc: BaseException) -> str:
    """The cause of a push that stopped on `exc`, in one sentence. adsync's own errors are
    written for a person already; anything else is named by its type (a bug or the
    machine: disk full, the store gone)."""
    message = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    if isinstance(exc, AdsyncError) and message:
        return one_line(message)
    if isinstance(exc, KeyboardInterrupt | SystemExit | CancelledError):
        return "the push was interrupted before it finished (stopped or cancelled)"
    kind = type(exc).__name__
    return one_line(f"unexpected error {kind}: {message}" if message else f"unexpected {kind}")

"""Platform errors every adapter raises, classified so the push engine can act on them
without knowing which platform answered."""

from __future__ import annotations

from enum import StrEnum

from adsync_pipeline.errors import AdsyncError


class ErrorClass(StrEnum):
    RETRYABLE = "retryable"  # 429, 5xx, network: try again later
    AUTH = "auth"  # the connection needs a person (revoked or invalid credentials)
    PERMANENT = "permanent"  # the request itself is wrong: retrying cannot help


class PlatformError(AdsyncError):
    """A platform call failed. `field_errors` holds (field, message) pairs for validation."""

    classification: ErrorClass = ErrorClass.PERMANENT

    def __init__(
        self,
        message: str,
        *,
        classification: ErrorClass | None = None,
        field_errors: list[tuple[str, str]] | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        if classification is not None:
            self.classification = classification
        self.field_errors = list(field_errors or [])
        self.retry_after = retry_after

    @property
    def retryable(self) -> bool:
        return self.classification is ErrorClass.RETRYABLE


class CreateOutcomeUnknown(PlatformError):
    """A create was sent but its answer never came back usable (timeout after send, 5xx,
    dropped connection). The entity may exist: resolve by looking it up, never re-create."""

    classification = ErrorClass.RETRYABLE


def classify(error: BaseException) -> ErrorClass:
    """The one place that decides retryable / auth / permanent for any exception."""
    if isinstance(error, PlatformError):
        return error.classification
    # Anything unexpected is treated as permanent: failing loudly beats retrying a bug.
    return ErrorClass.PERMANENT

"""Typed errors of Reddit's Ads API and OAuth endpoints."""

from __future__ import annotations

from typing import Any

from adsync_pipeline.platforms.errors import CreateOutcomeUnknown, ErrorClass, PlatformError


class RedditApiError(PlatformError):
    """An error answer (or a failed exchange) of one Reddit API call."""

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        code: str | int | None = None,
        method: str = "",
        path: str = "",
        classification: ErrorClass | None = None,
        field_errors: list[tuple[str, str]] | None = None,
        retry_after: float | None = None,
        request_sent: bool = True,
    ) -> None:
        if classification is None:
            classification = self.default_class(status)
        where = f"{method} {path}".strip()
        text = f"Reddit API {status or 'error'}" + (f" on {where}" if where else "")
        text += f": {message}"
        if field_errors:
            text += " (" + "; ".join(f"{f}: {m}" for f, m in field_errors) + ")"
        super().__init__(
            text,
            classification=classification,
            field_errors=field_errors,
            retry_after=retry_after,
        )
        self.message = message
        self.status = status
        self.code = code
        self.method = method
        self.path = path
        # False only when the request provably never left (connect failure): safe to resend.
        self.request_sent = request_sent

    def default_class(self, status: int | None) -> ErrorClass:
        return classify_status(status)


class RedditAuthError(RedditApiError):
    """Credentials were refused: the access token after one refresh, a revoked refresh
    token (`invalid_grant`) or bad client credentials. A person must reconnect."""

    def default_class(self, status: int | None) -> ErrorClass:
        return ErrorClass.AUTH


class RedditRateLimited(RedditApiError):
    """429: nothing was done; try again after `retry_after` seconds."""

    def default_class(self, status: int | None) -> ErrorClass:
        return ErrorClass.RETRYABLE


class RedditMalformedAnswer(RedditApiError):
    """A 2xx answer whose body is not the documented envelope (garbled on its way back): the
    call may have been applied, so it is tried again (reads and PATCHes only)."""

    def default_class(self, status: int | None) -> ErrorClass:
        return ErrorClass.RETRYABLE


class RedditCreateOutcomeUnknown(RedditApiError, CreateOutcomeUnknown):
    """A POST create may or may not have been applied; look the entity up by name."""

    def default_class(self, status: int | None) -> ErrorClass:
        return ErrorClass.RETRYABLE


def classify_status(status: int | None) -> ErrorClass:
    if status is None or status == 429 or status >= 500:
        return ErrorClass.RETRYABLE
    if status == 401:
        return ErrorClass.AUTH
    return ErrorClass.PERMANENT


def parse_error_body(body: Any) -> tuple[str | int | None, str, list[tuple[str, str]]]:
    """(code, message, field errors) from `{"error": {"code", "message", "fields"}}`,
    tolerating the OAuth shape `{"error": "invalid_grant"}` and arbitrary junk."""
    if not isinstance(body, dict):
        return None, "", []
    error = body.get("error")
    if isinstance(error, str):
        return error, str(body.get("error_description") or error), []
    if not isinstance(error, dict):
        return None, str(body.get("message") or ""), []
    fields = [
        (str(item.get("field", "")), str(item.get("message", "")))
        for item in error.get("fields") or []
        if isinstance(item, dict)
    ]
    return error.get("code"), str(error.get("message") or ""), fields

"""What one caller may cost the API: the size of a request body, and open event streams.

Bodies are bounded while they are read, not after: a declared `Content-Length` over the
limit is refused before a byte of the body is read, and a chunked body as soon as the bytes
received pass it, so a huge upload never sits in memory. Only the document routes take a
large body; every other body (a conflict resolution is a few dozen bytes) gets a small one.
"""

from __future__ import annotations

import os
import re
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from adsync_pipeline.api.errors import error_response
from adsync_pipeline.config import ConfigError

MAX_BODY_BYTES_ENV = "ADSYNC_API_MAX_BODY_BYTES"
MAX_STREAMS_ENV = "ADSYNC_API_MAX_STREAMS"
MAX_STREAMS_PER_KEY_ENV = "ADSYNC_API_MAX_STREAMS_PER_KEY"

# POST /api/v1/campaign-sets and PUT /api/v1/campaign-sets/{setId}: an import document.
_DOCUMENT_ROUTE = re.compile(r"/api/v1/campaign-sets(/[^/]+)?")


@dataclass(frozen=True)
class ApiLimits:
    document_bytes: int = 20 * 1024 * 1024
    body_bytes: int = 64 * 1024
    streams_per_key: int = 5
    streams: int = 50
    # Seconds a refused stream is told to wait (`Retry-After`).
    stream_retry_after_s: int = 5

    @classmethod
    def from_env(cls, environ: Mapping[str, str] = os.environ) -> ApiLimits:
        defaults = cls()
        return cls(
            document_bytes=_positive(environ, MAX_BODY_BYTES_ENV, defaults.document_bytes),
            streams=_positive(environ, MAX_STREAMS_ENV, defaults.streams),
            streams_per_key=_positive(environ, MAX_STREAMS_PER_KEY_ENV, defaults.streams_per_key),
        )

    def body_limit(self, method: str, path: str) -> int:
        if method in ("POST", "PUT") and _DOCUMENT_ROUTE.fullmatch(path):
            return self.document_bytes
        return self.body_bytes


def _positive(environ: Mapping[str, str], name: str, default: int) -> int:
    raw = environ.get(name, "").strip()
    if not raw:
        return default
    if not raw.isdigit() or int(raw) < 1:
        raise ConfigError(f"{name} must be a positive whole number, got {raw!r}")
    return int(raw)


class StreamSlots:
    """Open event streams, per API key and in all. Taken and released on the event loop
    only (the stream route is async), so plain counters suffice."""

    def __init__(self, limits: ApiLimits) -> None:
        self.limits = limits
        self.open: Counter[str] = Counter()

    def take(self, key: str) -> None:
        """One more stream for `key`, or HTTPException 429 (this key holds its share) or
        503 (the server holds all it serves), each with `Retry-After`."""
        retry = {"Retry-After": str(self.limits.stream_retry_after_s)}
        if self.open[key] >= self.limits.streams_per_key:
            raise HTTPException(
                429,
                f"API key {key!r} has {self.open[key]} event streams open, the most one key "
                "may hold: close one, or retry later",
                headers=retry,
            )
        if self.open.total() >= self.limits.streams:
            raise HTTPException(
                503,
                f"the server has {self.open.total()} event streams open, the most it serves "
                "at once: retry later",
                headers=retry,
            )
        self.open[key] += 1

    def release(self, key: str) -> None:
        self.open[key] -= 1
        if self.open[key] <= 0:
            del self.open[key]


class BodyTooLarge(HTTPException):
    """Raised from the body reader, so the route's own error handling answers 413 (FastAPI
    lets an HTTPException from the body through, where any other error would be a 400)."""

    def __init__(self, method: str, path: str, limit: int) -> None:
        super().__init__(
            413,
            f"the request body is too large: {method} {path} accepts at most {limit} bytes",
            # The rest of the body is not wanted: the client may stop sending it.
            headers={"Connection": "close"},
        )


class BodyLimitMiddleware:
    """Counts the body's bytes as the app receives them; refuses past the route's limit."""

    def __init__(self, app: ASGIApp, limits: ApiLimits) -> None:
        self.app = app
        self.limits = limits

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        method, path = scope["method"], scope["path"]
        limit = self.limits.body_limit(method, path)
        declared = _content_length(scope)
        if declared is not None and declared > limit:
            too_large = BodyTooLarge(method, path, limit)
            response = error_response(413, str(too_large.detail))
            response.headers.update(too_large.headers or {})
            await response(scope, receive, send)
            return
        received = 0

        async def bounded() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge(method, path, limit)
            return message

        await self.app(scope, bounded, send)


def _content_length(scope: Scope) -> int | None:
    for name, value in scope["headers"]:
        if name == b"content-length":
            # The server has checked the framing; a value it let through is digits.
            return int(value) if value.isdigit() else None
    return None

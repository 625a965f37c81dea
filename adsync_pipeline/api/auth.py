"""Bearer API keys, checked before routing: an unauthenticated caller learns nothing, not
even which paths exist (401 comes before 404 and 405). Only `/health` is open.

A plain ASGI middleware rather than a route dependency, because it must also cover unknown
paths, and because Starlette's `BaseHTTPMiddleware` would buffer the SSE stream.
"""

from __future__ import annotations

import json

from fastapi.security import HTTPBearer
from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Receive, Scope, Send

from adsync_pipeline.store.api_keys import ApiKeyRepository
from adsync_pipeline.store.db import Database

OPEN_PATHS = frozenset({"/health"})
# Declares the scheme in the OpenAPI document; the middleware does the checking.
bearer_scheme = HTTPBearer(auto_error=False, description="An API key: `adsync api keys create`")


class ApiKeyMiddleware:
    def __init__(self, app: ASGIApp, db: Database) -> None:
        self.app = app
        self.keys = ApiKeyRepository(db)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in OPEN_PATHS:
            await self.app(scope, receive, send)
            return
        key = _bearer(scope)
        record = await run_in_threadpool(self.keys.authenticate, key) if key else None
        if record is None:
            await _unauthorized(send, "a valid API key is required: Authorization: Bearer <key>")
            return
        scope.setdefault("state", {})["api_key_name"] = record.name
        await self.app(scope, receive, send)


def _bearer(scope: Scope) -> str | None:
    for name, value in scope["headers"]:
        if name == b"authorization":
            scheme, _, credentials = value.decode("latin-1").partition(" ")
            if scheme.lower() == "bearer" and credentials.strip():
                return credentials.strip()
            return None
    return None


async def _unauthorized(send: Send, message: str) -> None:
    body = json.dumps(
        {"error": {"code": "unauthorized", "message": message, "problems": []}}
    ).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 401,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                (b"www-authenticate", b'Bearer realm="adsync"'),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})

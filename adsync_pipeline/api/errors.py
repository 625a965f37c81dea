"""One JSON error shape for every failure: `{"error": {"code", "message", "problems"}}`.

Domain errors map to statuses here, so routes simply let them rise: unknown ids are 404,
rejected input 422 (each problem with its field path), a state that forbids the action 409.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from adsync_pipeline.api.schemas import ErrorResponse
from adsync_pipeline.errors import AdsyncError, NotFoundError, ValidationFailed

CODES = {
    400: "bad_request",
    401: "unauthorized",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "too_large",
    415: "unsupported_media_type",
    422: "validation_failed",
    429: "too_many_requests",
    503: "unavailable",
}

# Documented on every operation, so response checks know these shapes.
COMMON_RESPONSES: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorResponse, "description": "Missing, unknown or revoked API key."},
    404: {"model": ErrorResponse, "description": "Unknown id."},
    422: {"model": ErrorResponse, "description": "Invalid input; `problems` locates each."},
}


def error_response(
    status: int, message: str, problems: list[dict[str, str]] | None = None
) -> JSONResponse:
    body = {
        "error": {
            "code": CODES.get(status, "error"),
            "message": message,
            "problems": problems or [],
        }
    }
    return JSONResponse(body, status_code=status)


def located(problem: str, source: str) -> dict[str, str]:
    """'body: campaigns[1].name: is required' -> {"path": "campaigns[1].name", ...}."""
    text = problem.removeprefix(f"{source}: ")
    path, sep, message = text.partition(": ")
    if not sep:
        return {"path": "(document)", "message": text}
    return {"path": path, "message": message}


def _loc(parts: tuple[Any, ...]) -> str:
    text = ""
    for part in parts:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


async def _validation(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    problems = [{"path": _loc(tuple(e["loc"])), "message": e["msg"]} for e in exc.errors()]
    return error_response(422, "the request is not valid", problems)


async def _http(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, HTTPException)
    response = error_response(exc.status_code, str(exc.detail))
    if exc.headers:
        response.headers.update(exc.headers)
    return response


async def _not_found(_request: Request, exc: Exception) -> JSONResponse:
    return error_response(404, str(exc))


async def _rejected(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ValidationFailed)
    problems = [located(p, "body") for p in exc.problems]
    return error_response(422, f"{len(problems)} problem(s) found", problems)


async def _refused(_request: Request, exc: Exception) -> JSONResponse:
    return error_response(409, str(exc))


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(RequestValidationError, _validation)
    app.add_exception_handler(HTTPException, _http)
    app.add_exception_handler(NotFoundError, _not_found)
    app.add_exception_handler(ValidationFailed, _rejected)
    # Any other error written for a person (e.g. "account not connected") is a state the
    # caller must change first.
    app.add_exception_handler(AdsyncError, _refused)

"""Async HTTP client of Reddit's Ads API v3: auth, pacing, retries, envelopes, pagination.

Production and the sandbox differ only by `api_url`. Every HTTP attempt is reported to the
optional `on_call` hook as a `CallRecord` (secrets redacted) for the audit table.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass, field
from enum import Enum
from typing import Any, Protocol
from urllib.parse import urlsplit

import httpx
from tenacity import AsyncRetrying, RetryCallState, retry_if_exception, stop_after_attempt

from adsync_pipeline.config import RedditSettings, reddit_settings
from adsync_pipeline.platforms.reddit.errors import (
    RedditApiError,
    RedditAuthError,
    RedditCreateOutcomeUnknown,
    RedditMalformedAnswer,
    RedditRateLimited,
    parse_error_body,
)
from adsync_pipeline.platforms.reddit.ratelimit import RateLimiter, Reservation, parse_headers

log = logging.getLogger(__name__)

DEFAULT_TIMEOUT = httpx.Timeout(30.0, connect=10.0)
DEFAULT_LIMITS = httpx.Limits(max_connections=20, max_keepalive_connections=10)
MAX_PAGE_SIZE = 1000
REDACTED = "[redacted]"
_SECRET_WORDS = ("token", "secret", "password", "authorization")
# Failures that prove the request never reached the server.
_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)


class TokenProvider(Protocol):
    """Supplies bearer tokens. `refresh(rejected)` is called after a 401 with the token that
    was refused; it returns a newer one (refreshing only if nobody else already did)."""

    async def access_token(self) -> str: ...

    async def refresh(self, rejected: str) -> str: ...


@dataclass
class StaticTokenProvider:
    """A fixed token (tests, one-off scripts): a 401 cannot be repaired."""

    token: str

    async def access_token(self) -> str:
        return self.token

    async def refresh(self, rejected: str) -> str:
        raise RedditAuthError("the access token was refused and cannot be refreshed", status=401)


class Envelope(Enum):
    """What the `data` of a 2xx answer must hold for its caller to use it."""

    OBJECT = "an object"
    ENTITY = "an entity with an id"
    PAGE = "a list of objects"


@dataclass(frozen=True)
class CallRecord:
    """One HTTP attempt, as the audit log stores it. Never contains a token."""

    method: str
    path: str
    status: int | None
    latency_ms: int
    attempt: int
    outcome: str  # ok | rate_limited | retryable | auth | permanent | unknown_outcome
    error: str | None
    request_summary: dict[str, Any]
    response_summary: dict[str, Any] | None
    policy: str | None
    was_rate_limited: bool
    waited_ms: int = 0


def redact(value: Any) -> Any:
    """A copy of `value` with every secret-looking key's value replaced."""
    if isinstance(value, Mapping):
        return {
            k: REDACTED if any(w in str(k).lower() for w in _SECRET_WORDS) else redact(v)
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [redact(v) for v in value]
    return value


def summarize_response(body: Any) -> dict[str, Any] | None:
    """Enough of an answer to audit it without storing whole pages."""
    if not isinstance(body, dict):
        return None
    if "error" in body:
        return {"error": redact(body["error"])}
    data = body.get("data")
    if isinstance(data, list):
        pagination = body.get("pagination") or {}
        return {"count": len(data), "has_next": bool(pagination.get("next_url"))}
    if isinstance(data, dict):
        keep = ("id", "name", "configured_status", "effective_status", "type")
        return {k: data[k] for k in keep if k in data}
    return {}


def _retry_after(response: httpx.Response) -> float | None:
    raw = response.headers.get("retry-after")
    try:
        return float(raw) if raw else None
    except ValueError:
        return None


@dataclass
class _Attempt:
    method: str
    path: str
    create: bool
    token: str
    params: dict[str, Any] | None = None
    body: dict[str, Any] | None = None
    url: str | None = None  # an absolute `next_url`, followed verbatim
    expect: Envelope = Envelope.OBJECT
    number: int = field(default=0)


class RedditClient:
    """One client per ad account connection (its token provider and its rate limits)."""

    def __init__(
        self,
        tokens: TokenProvider,
        *,
        settings: RedditSettings | None = None,
        api_url: str | None = None,
        max_attempts: int = 5,
        backoff_base: float = 0.5,
        backoff_max: float = 30.0,
        timeout: httpx.Timeout = DEFAULT_TIMEOUT,
        limits: httpx.Limits = DEFAULT_LIMITS,
        on_call: Callable[[CallRecord], None] | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        limiter: RateLimiter | None = None,
    ) -> None:
        settings = settings or reddit_settings()
        self.api_url = (api_url or settings.api_url).rstrip("/")
        self._tokens = tokens
        self.max_attempts = max_attempts
        self.backoff_base = backoff_base
        self.backoff_max = backoff_max
        self.on_call = on_call
        self.limiter = limiter or RateLimiter()
        self._http = httpx.AsyncClient(
            timeout=timeout,
            limits=limits,
            headers={"User-Agent": settings.user_agent, "Accept": "application/json"},
            transport=transport,
        )
        self._base_path = urlsplit(self.api_url).path
        self.api_calls = 0
        self.rate_limited = 0
        self.retries = 0

    async def __aenter__(self) -> RedditClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._http.aclose()

    # -- verbs ---------------------------------------------------------------------------

    async def get(self, path: str, params: Mapping[str, Any] | None = None) -> dict[str, Any]:
        return (await self.request("GET", path, params=params))["data"]

    async def patch(self, path: str, data: Mapping[str, Any]) -> dict[str, Any]:
        body = {"data": dict(data)}
        return (await self.request("PATCH", path, body=body, expect=Envelope.ENTITY))["data"]

    async def create(self, path: str, data: Mapping[str, Any]) -> dict[str, Any]:
        """POST a new entity. Never re-sent once it may have reached Reddit: an unknown
        outcome raises `RedditCreateOutcomeUnknown` for the caller to resolve by lookup."""
        body = {"data": dict(data)}
        answer = await self.request("POST", path, body=body, create=True, expect=Envelope.ENTITY)
        return answer["data"]

    async def paginate(
        self, path: str, params: Mapping[str, Any] | None = None, *, page_size: int = MAX_PAGE_SIZE
    ) -> AsyncIterator[dict[str, Any]]:
        """Every item of a list endpoint. Later pages follow `pagination.next_url` verbatim:
        re-adding our parameters made URLs grow until Reddit answered 414."""
        first = {**(params or {}), "page.size": min(page_size, MAX_PAGE_SIZE)}
        page = await self.request("GET", path, params=first, expect=Envelope.PAGE)
        while True:
            for item in page["data"]:
                yield item
            next_url = (page.get("pagination") or {}).get("next_url")
            if not next_url:
                return
            page = await self.request(
                "GET", self._path_of(next_url), url=next_url, expect=Envelope.PAGE
            )

    async def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        body: dict[str, Any] | None = None,
        create: bool = False,
        url: str | None = None,
        expect: Envelope = Envelope.OBJECT,
    ) -> dict[str, Any]:
        """One logical call: retries per the rules above, one refresh on 401. Returns the
        decoded JSON envelope, its `data` as `expect` says. A 2xx answer that is not that
        envelope (garbled on its way back) is an error like a 5xx: retried for reads and
        PATCHes, an unknown outcome for a create."""
        token = await self._tokens.access_token()
        call = _Attempt(
            method.upper(), path, create, token, dict(params or {}) or None, body, url, expect
        )
        try:
            return await self._with_retries(call)
        except RedditAuthError as exc:
            if exc.status != 401:
                raise
            log.info("access token refused on %s %s; refreshing once", call.method, path)
            call.token = await self._tokens.refresh(token)
            return await self._with_retries(call)

    # -- internals -----------------------------------------------------------------------

    def _path_of(self, url: str) -> str:
        path = urlsplit(url).path
        return path[len(self._base_path) :] if path.startswith(self._base_path) else path

    def _should_retry(self, call: _Attempt) -> Callable[[BaseException], bool]:
        def decide(exc: BaseException) -> bool:
            if not isinstance(exc, RedditApiError) or isinstance(exc, RedditAuthError):
                return False
            if not exc.retryable or isinstance(exc, RedditCreateOutcomeUnknown):
                return False
            if call.method in ("GET", "PATCH"):
                return True
            # Other POSTs: only when Reddit provably did nothing.
            return isinstance(exc, RedditRateLimited) or not exc.request_sent

        return decide

    def _wait(self, state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        cap = min(self.backoff_max, self.backoff_base * 2 ** (state.attempt_number - 1))
        backoff = random.uniform(0, cap)  # full jitter
        retry_after = getattr(exc, "retry_after", None) or 0.0
        return max(backoff, retry_after + random.uniform(0, self.backoff_base / 4))

    async def _with_retries(self, call: _Attempt) -> dict[str, Any]:
        retrying = AsyncRetrying(
            stop=stop_after_attempt(self.max_attempts),
            wait=self._wait,
            retry=retry_if_exception(self._should_retry(call)),
            reraise=True,
        )
        result: dict[str, Any] = {}
        async for attempt in retrying:
            with attempt:
                call.number += 1
                if call.number > 1:
                    self.retries += 1
                result = await self._send(call)
        return result

    async def _send(self, call: _Attempt) -> dict[str, Any]:
        reservation = await self.limiter.acquire(call.method, call.path)
        started = time.monotonic()
        headers = {"Authorization": f"Bearer {call.token}"}
        try:
            if call.url is not None:
                response = await self._http.request(call.method, call.url, headers=headers)
            else:
                response = await self._http.request(
                    call.method,
                    self.api_url + call.path,
                    params=call.params,
                    json=call.body,
                    headers=headers,
                )
        except httpx.TransportError as exc:
            self.limiter.release(reservation, None)
            error = self._network_error(call, exc)
            self._record(call, reservation, started, None, None, error)
            raise error from exc
        except BaseException:
            # Cancelled (the push is stopping): a unit left reserved would keep the policy's
            # next caller waiting for an answer that never comes.
            self.limiter.release(reservation, None)
            raise
        retry_after = _retry_after(response)
        self.limiter.release(
            reservation, response.headers, status=response.status_code, retry_after=retry_after
        )
        if response.status_code >= 400:
            body = _error_body(response)
            error = self._http_error(call, response, body, retry_after)
            self._record(call, reservation, started, response, body, error)
            raise error
        body, problem = _envelope(response, call.expect)
        if problem is not None:
            error = self._malformed(call, response, problem)
            self._record(call, reservation, started, response, body, error)
            raise error
        self._record(call, reservation, started, response, body, None)
        return body

    def _malformed(self, call: _Attempt, response: httpx.Response, problem: str) -> RedditApiError:
        message = f'the answer\'s body is not the documented {{"data": ...}} envelope ({problem})'
        if call.create:
            message += "; the create may have been applied"
        kind = RedditCreateOutcomeUnknown if call.create else RedditMalformedAnswer
        return kind(message, status=response.status_code, method=call.method, path=call.path)

    def _network_error(self, call: _Attempt, exc: httpx.TransportError) -> RedditApiError:
        sent = not isinstance(exc, _NOT_SENT)
        message = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
        kind = RedditCreateOutcomeUnknown if call.create and sent else RedditApiError
        return kind(message, method=call.method, path=call.path, request_sent=sent)

    def _http_error(
        self, call: _Attempt, response: httpx.Response, body: Any, retry_after: float | None
    ) -> RedditApiError:
        status = response.status_code
        code, message, fields = parse_error_body(body)
        message = message or response.reason_phrase or "error"
        kind: type[RedditApiError] = RedditApiError
        if status == 401:
            kind = RedditAuthError
        elif status == 429:
            self.rate_limited += 1
            kind = RedditRateLimited
            if retry_after is None:
                parsed = parse_headers(response.headers)
                retry_after = parsed.reset if parsed else None
        elif status >= 500 and call.create:
            kind = RedditCreateOutcomeUnknown
        return kind(
            message,
            status=status,
            code=code,
            method=call.method,
            path=call.path,
            field_errors=fields,
            retry_after=retry_after,
        )

    def _record(
        self,
        call: _Attempt,
        reservation: Reservation,
        started: float,
        response: httpx.Response | None,
        body: Any,
        error: RedditApiError | None,
    ) -> None:
        self.api_calls += 1
        status = response.status_code if response is not None else None
        if error is None:
            outcome = "ok"
        elif isinstance(error, RedditRateLimited):
            outcome = "rate_limited"
        elif isinstance(error, RedditCreateOutcomeUnknown):
            outcome = "unknown_outcome"
        else:
            outcome = error.classification.value
        log.debug("%s %s -> %s (attempt %d)", call.method, call.path, status, call.number)
        if self.on_call is None:
            return
        request_summary: dict[str, Any] = {}
        if call.params:
            request_summary["params"] = redact(call.params)
        if call.url is not None:
            query = urlsplit(call.url).query
            request_summary["url"] = call.path + (f"?{query}" if query else "")
        if call.body is not None:
            request_summary["body"] = redact(call.body)
        self.on_call(
            CallRecord(
                method=call.method,
                path=call.path,
                status=status,
                latency_ms=int((time.monotonic() - started) * 1000),
                attempt=call.number,
                outcome=outcome,
                error=str(error) if error is not None else None,
                request_summary=request_summary,
                response_summary=summarize_response(body),
                policy=self.limiter.policy_of(reservation.route),
                was_rate_limited=status == 429,
                waited_ms=int(reservation.waited * 1000),
            )
        )


def _error_body(response: httpx.Response) -> Any:
    if not response.content:
        return {}
    try:
        return response.json()
    except ValueError:
        return {"error": {"message": response.text[:200]}}


def _envelope(response: httpx.Response, expect: Envelope) -> tuple[Any, str | None]:
    """A 2xx answer's decoded body, and what is wrong with it (None when it is the envelope
    Reddit documents: `{"data": ...}` with `data` as `expect` says)."""
    if not response.content:
        return None, "it is empty"
    try:
        body = response.json()
    except ValueError:  # invalid JSON and undecodable bytes alike
        return None, "it is not valid JSON"
    if not isinstance(body, dict) or "data" not in body:
        return body, 'it has no "data"'
    data = body["data"]
    if expect is Envelope.PAGE and not isinstance(body.get("pagination") or {}, dict):
        return body, 'its "pagination" is not an object'
    if expect is Envelope.PAGE:
        fits = isinstance(data, list) and all(isinstance(item, dict) for item in data)
    else:
        fits = isinstance(data, dict) and (expect is not Envelope.ENTITY or bool(data.get("id")))
    if fits:
        return body, None
    return body, f"its data is {_kind_of(data)}, not {expect.value}"


def _kind_of(value: Any) -> str:
    if isinstance(value, dict):
        return "an object" if value.get("id") else "an object without an id"
    if isinstance(value, list):
        return "a list" if all(isinstance(item, dict) for item in value) else "a list of scalars"
    return "null" if value is None else f"a {type(value).__name__}"

"""A local emulator of Reddit Ads API v3 (and reddit.com OAuth) over real HTTP.

Our Reddit client is tested against it: paths, envelopes, validation errors, pagination,
rate-limit headers and OAuth follow Reddit's official OpenAPI document. Faults can be
injected to exercise retries, circuit breakers and "unknown outcome" creates.

    with run_sandbox_in_thread() as sandbox:
        httpx.get(f"{sandbox.api_url}/me", headers=...)
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import json
import random
import re
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from adsync_pipeline.sandbox import reddit_api as api
from adsync_pipeline.sandbox.reddit_admin import ADMIN_PREFIX, add_ad_account, admin_routes
from adsync_pipeline.sandbox.reddit_faults import MALFORMED_BODIES, Faults, RateLimiter, Timing
from adsync_pipeline.sandbox.reddit_spec import API_PREFIX, Policy, policy_for
from adsync_pipeline.sandbox.reddit_state import SandboxState, now_iso

ALL_METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]
READ, WRITE = "ads-campaign-management-read", "ads-campaign-management-write"


@dataclass(frozen=True)
class ApiRoute:
    method: str
    template: str  # as written in the spec, relative to /api/v3
    handler: api.Handler
    fallback_policy: str  # policy used when the spec file is absent

    @property
    def pattern(self) -> re.Pattern[str]:
        return re.compile("^" + re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", self.template) + "$")


CREATIVE, BUSINESS = "ads-creative-management", "ads-business-manager"
API_ROUTES = [
    ApiRoute("GET", "/me", api.get_me, BUSINESS),
    ApiRoute("GET", "/me/businesses", api.list_my_businesses, BUSINESS),
    ApiRoute("GET", "/businesses/{business_id}/ad_accounts", api.list_business_ad_accounts, READ),
    ApiRoute("GET", "/ad_accounts/{ad_account_id}", api.get_ad_account, READ),
    ApiRoute(
        "GET",
        "/ad_accounts/{ad_account_id}/funding_instruments",
        api.list_funding_instruments,
        "ads-funding-instruments",
    ),
    ApiRoute("GET", "/ad_accounts/{ad_account_id}/profiles", api.list_profiles, BUSINESS),
    ApiRoute(
        "GET", "/ad_accounts/{ad_account_id}/pixels", api.list_pixels, "ads-conversion-signals"
    ),
    ApiRoute("GET", "/profiles/{profile_id}", api.get_profile, BUSINESS),
    ApiRoute("GET", "/profiles/{profile_id}/posts", api.list_posts, CREATIVE),
    ApiRoute("POST", "/profiles/{profile_id}/posts", api.create_post, CREATIVE),
    ApiRoute("GET", "/posts/{post_id}", api.get_entity("posts", "post_id"), CREATIVE),
    ApiRoute("PATCH", "/posts/{post_id}", api.update_post, CREATIVE),
]
for _kind, _param in (("campaigns", "campaign_id"), ("ad_groups", "ad_group_id"), ("ads", "ad_id")):
    _collection = f"/ad_accounts/{{ad_account_id}}/{_kind}"
    API_ROUTES += [
        ApiRoute("GET", _collection, api.list_entities(_kind), READ),
        ApiRoute("POST", _collection, api.create_entity(_kind), WRITE),
        ApiRoute("GET", f"/{_kind}/{{{_param}}}", api.get_entity(_kind, _param), READ),
        ApiRoute("PATCH", f"/{_kind}/{{{_param}}}", api.update_entity(_kind, _param), WRITE),
    ]
# Routes by method, in declaration order, each with its pattern compiled once.
_PATTERNS: dict[str, list[tuple[ApiRoute, re.Pattern[str]]]] = {}
for _route in API_ROUTES:
    _PATTERNS.setdefault(_route.method, []).append((_route, _route.pattern))


def error_response(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": {"code": status, "message": message}}, status_code=status)


ARRIVED_AT = "adsync.arrived_at"


def _stamp_arrival(app: ASGIApp) -> ASGIApp:
    """`app`, noting in each request's scope when it reached the server."""

    async def stamped(scope: Scope, receive: Receive, send: Send) -> None:
        scope[ARRIVED_AT] = time.monotonic()
        # Requests that arrived together are all stamped before any of them is served.
        await asyncio.sleep(0)
        await app(scope, receive, send)

    return stamped


class RedditSandbox:
    """State, configuration and ASGI app of one emulated Reddit."""

    def __init__(
        self,
        *,
        state_file: str | Path | None = None,
        time_scale: float = 1.0,
        rate_limits: dict[str, int] | None = None,
        effective_status_delay: float = 0.0,
        seed: int = 0,
        **faults: Any,
    ) -> None:
        self.state = SandboxState(state_file, seed=seed)
        self._initial_timing = Timing(time_scale, dict(rate_limits or {}), effective_status_delay)
        self._initial_faults = dict(faults)
        self._seed = seed
        self.limiter = RateLimiter()
        self.request_log: list[dict[str, Any]] = []
        self._log_lock = threading.Lock()
        self.restore_settings()
        self.app = _stamp_arrival(
            Starlette(routes=[Route("/{path:path}", self._dispatch, methods=ALL_METHODS)])
        )

    # --- Python API used by tests and the admin endpoints ---------------------------------

    def restore_settings(self) -> None:
        """Back to the constructor's faults and timing, with fresh counters and RNG."""
        self.timing = Timing(**self._initial_timing.as_dict())
        self.faults = Faults()
        self.faults.update(self._initial_faults)
        self.rng = random.Random(self._seed)
        self._writes_answered = 0  # successful writes since the reset, for `malformed_every`
        self.limiter.reset()
        self.clear_requests()

    def reset(self) -> None:
        self.state.reset()
        self.restore_settings()

    def set_faults(self, **changes: Any) -> None:
        self.faults.update(changes)

    def clear_faults(self) -> None:
        self.faults = Faults(expires_in=self.faults.expires_in)

    def configure(self, **changes: Any) -> None:
        self.timing.update(changes)
        self.limiter.reset()

    def add_ad_account(self, account_id: str, **options: Any) -> dict[str, Any]:
        """A further ad account under a business (the seeded one by default); see
        `reddit_admin.add_ad_account` for the options."""
        return add_ad_account(self, account_id, **options)["data"]

    def expire_tokens(self) -> int:
        with self.state.writing() as data:
            tokens = data["oauth"]["access_tokens"].values()
            for token in tokens:
                token["expires_at"] = 0
            return len(tokens)

    def requests(self) -> list[dict[str, Any]]:
        with self._log_lock:
            return list(self.request_log)

    def clear_requests(self) -> None:
        with self._log_lock:
            self.request_log.clear()

    # --- HTTP ------------------------------------------------------------------------------

    async def _dispatch(self, request: Request) -> Response:
        path = request.url.path
        if path.startswith(ADMIN_PREFIX):
            return await admin_routes(self, request)
        response = await self._handle(request, path)
        entry = {
            "method": request.method,
            "path": path,
            "query": request.url.query,
            "status": response.status_code,
            "time": now_iso(),
        }
        with self._log_lock:
            self.request_log.append(entry)
        return response

    async def _handle(self, request: Request, path: str) -> Response:
        if path.startswith("/api/v1/"):
            return await self._oauth(request, path.removeprefix("/api/v1/"))
        if not path.startswith(API_PREFIX + "/"):
            return error_response(404, "Not found.")
        started = request.scope.get(ARRIVED_AT, time.monotonic())
        injected = self._injected_status()
        if injected:
            response = error_response(injected, "Injected fault.")
        else:
            response = await self._api(request, path.removeprefix(API_PREFIX))
        # The injected latency is the call's whole service time, from the request's arrival:
        # our own processing and the wait behind requests that arrived with it count toward
        # it, as on a platform that serves them in parallel; otherwise a busy emulator would
        # add its CPU time to every call it slows down.
        remaining = self.faults.latency - (time.monotonic() - started)
        if remaining > 0:
            await asyncio.sleep(remaining)
        return response

    def _injected_status(self) -> int | None:
        if self.faults.force_status:
            return self.faults.force_status
        if self.faults.error_rate and self.rng.random() < self.faults.error_rate:
            return self.rng.choice(self.faults.error_statuses)
        return None

    async def _api(self, request: Request, subpath: str) -> Response:
        found = _match(request.method, subpath)
        if found is None:
            return error_response(404, "Not found.")
        route, params = found
        policy = policy_for(route.template, route.method, route.fallback_policy)
        try:
            scope = api.bearer_scope(self, request.headers.get("authorization", ""))
            api.check_scope(scope, route.method)
        except api.ApiError as exc:
            return self._with_limits(JSONResponse(exc.body(), exc.status), policy, consume=False)
        verdict = self.limiter.check(policy, self.timing, consume=True)
        if not verdict.allowed:
            response = error_response(429, "Too Many Requests")
            response.headers.update(verdict.headers(self.timing.time_scale))
            return response
        status, body = await self._run(request, route, params)
        response = JSONResponse(body, status_code=status)
        if route.method in {"POST", "PATCH"} and status < 300 and self._garble_this_write():
            garble = MALFORMED_BODIES[self.faults.malformed_body]
            response = Response(garble(response.body), status, media_type="application/json")
        response.headers.update(verdict.headers(self.timing.time_scale))
        return response

    def _garble_this_write(self) -> bool:
        with self._log_lock:
            self._writes_answered += 1
            every = self.faults.malformed_every
            return bool(every) and self._writes_answered % every == 0

    async def _run(self, request: Request, route: ApiRoute, params: dict[str, str]) -> api.Result:
        try:
            body = await _json_body(request) if route.method in {"POST", "PATCH"} else None
            req = api.ApiRequest(
                method=route.method,
                params=params,
                query=list(request.query_params.multi_items()),
                body=body,
                # Only pagination needs it; built on demand.
                url_base_of=lambda: str(request.url.replace(query="")),
                path_template=route.template,
            )
            status, payload = route.handler(self, req)
        except api.ApiError as exc:
            return exc.status, exc.body()
        if status == 201 and self._commit_then_fail():
            return 502, {"error": {"code": 502, "message": "Bad Gateway"}}
        return status, payload

    def _commit_then_fail(self) -> bool:
        if self.faults.create_commit_then_502_count > 0:
            self.faults.create_commit_then_502_count -= 1
            return True
        rate = self.faults.create_commit_then_502
        return bool(rate) and self.rng.random() < rate

    def _with_limits(self, response: Response, policy: Policy, consume: bool) -> Response:
        verdict = self.limiter.check(policy, self.timing, consume=consume)
        response.headers.update(verdict.headers(self.timing.time_scale))
        return response

    async def _oauth(self, request: Request, endpoint: str) -> Response:
        try:
            if request.method == "GET" and endpoint == "authorize":
                location = api.authorize(self, dict(request.query_params))
                return RedirectResponse(location, status_code=302)
            if request.method == "POST" and endpoint in {"access_token", "revoke_token"}:
                api.check_client(request.headers.get("user-agent", ""), _basic_auth(request))
                form = await _form_body(request)
                if endpoint == "revoke_token":
                    api.revoke_token(self, form)
                    return Response(status_code=204)
                status, body = api.access_token(self, form)
                return JSONResponse(body, status_code=status)
        except api.ApiError as exc:
            return JSONResponse(exc.body(), status_code=exc.status)
        return error_response(404, "Not found.")


def _match(method: str, subpath: str) -> tuple[ApiRoute, dict[str, str]] | None:
    for route, pattern in _PATTERNS.get(method, ()):
        found = pattern.match(subpath)
        if found:
            return route, found.groupdict()
    return None


async def _json_body(request: Request) -> Any:
    raw = await request.body()
    try:
        return json.loads(raw) if raw else None
    except ValueError as exc:
        raise api.ApiError(400, "The body is not valid JSON.") from exc


async def _form_body(request: Request) -> dict[str, str]:
    # Parsed by hand: Starlette's request.form() needs python-multipart, not a dependency.
    return dict(parse_qsl((await request.body()).decode("utf-8", "replace")))


def _basic_auth(request: Request) -> tuple[str, str] | None:
    scheme, _, encoded = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        user, _, password = base64.b64decode(encoded).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return None
    return user, password


# --- running it ----------------------------------------------------------------------------


# No access log (a line per request floods terminals and test output, and costs CPU), and
# only warnings: callers print the sandbox's URLs themselves.
_UVICORN_OPTIONS: dict[str, Any] = {"log_level": "warning", "access_log": False, "lifespan": "off"}


@dataclass
class RunningSandbox:
    """A sandbox served on loopback; URLs point at the live server."""

    sandbox: RedditSandbox
    host: str
    port: int

    @property
    def auth_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def api_url(self) -> str:
        return f"{self.auth_url}{API_PREFIX}"

    @property
    def admin_url(self) -> str:
        return f"{self.auth_url}{ADMIN_PREFIX}"

    @property
    def state(self) -> SandboxState:
        return self.sandbox.state

    def set_faults(self, **changes: Any) -> None:
        self.sandbox.set_faults(**changes)

    def clear_faults(self) -> None:
        self.sandbox.clear_faults()

    def configure(self, **changes: Any) -> None:
        self.sandbox.configure(**changes)

    def add_ad_account(self, account_id: str, **options: Any) -> dict[str, Any]:
        return self.sandbox.add_ad_account(account_id, **options)

    def expire_tokens(self) -> int:
        return self.sandbox.expire_tokens()

    def requests(self) -> list[dict[str, Any]]:
        return self.sandbox.requests()

    def reset(self) -> None:
        self.sandbox.reset()


def _bind(host: str, port: int) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    return sock


@contextmanager
def run_sandbox_in_thread(
    host: str = "127.0.0.1", port: int = 0, **config: Any
) -> Iterator[RunningSandbox]:
    """Serves a fresh RedditSandbox(**config) from a background thread until the block exits."""
    sandbox = RedditSandbox(**config)
    sock = _bind(host, port)
    server = uvicorn.Server(uvicorn.Config(sandbox.app, **_UVICORN_OPTIONS))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the Reddit sandbox did not start")
        time.sleep(0.01)
    try:
        yield RunningSandbox(sandbox, host, sock.getsockname()[1])
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


def serve(host: str = "127.0.0.1", port: int = 8765, **config: Any) -> None:
    """Blocking server, for the CLI or a subprocess (`python -c` / multiprocessing target)."""
    sandbox = RedditSandbox(**config)
    uvicorn.run(sandbox.app, host=host, port=port, **_UVICORN_OPTIONS)

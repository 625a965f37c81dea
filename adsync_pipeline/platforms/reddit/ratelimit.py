"""Client-side pacing by Reddit's `RateLimit-Policy` / `RateLimit` response headers.

Reddit reports, per policy, the quota and window (`"name";q=200;w=60`) and what is left
(`"name";r=REMAINING;t=SECONDS`). Which policy a route draws from is known from Reddit's
OpenAPI document (`policies.ROUTE_POLICIES`) and confirmed by its answers; a route the table
does not name is learnt from its first answer. We keep a conservative estimate of the units
left per policy, reserve a unit before sending (so concurrent tasks cannot all spend the last
one) and wait for the reset when none is left. 429s are a fallback, not the way we discover
the limit.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from adsync_pipeline.platforms.reddit.policies import ROUTE_POLICIES

_ITEM = re.compile(r'^\s*"?(?P<name>[^";]+)"?\s*(?P<params>(?:;\s*[\w-]+\s*=\s*[^;,]*)*)')
_PARAM = re.compile(r";\s*([\w-]+)\s*=\s*([^;,]*)")
_NUMERIC = re.compile(r"(?<=/)(?:\d+|[a-z]\d_[\w]+|[0-9a-f]{8}-[0-9a-f-]{27})(?=/|$)")
# Requests answered without any rate limit headers are not paced.
UNLIMITED = "-"
# If we are waiting on answers that never come, look again after this long.
_RECHECK_SECONDS = 1.0


@dataclass(frozen=True)
class RateLimitHeaders:
    policy: str
    quota: int | None
    window: float | None
    remaining: int | None
    reset: float | None


def _parse_item(value: str) -> tuple[str, dict[str, str]] | None:
    match = _ITEM.match(value)
    if not match:
        return None
    params = {k.lower(): v.strip().strip('"') for k, v in _PARAM.findall(match["params"])}
    return match["name"].strip(), params


def _number(raw: str | None) -> float | None:
    try:
        return float(raw) if raw not in (None, "") else None
    except ValueError:
        return None


def parse_headers(headers: Mapping[str, str]) -> RateLimitHeaders | None:
    """The policy named by an answer's headers, or None when it carries none."""
    lowered = {k.lower(): v for k, v in headers.items()}
    policy = _parse_item(lowered.get("ratelimit-policy", ""))
    state = _parse_item(lowered.get("ratelimit", ""))
    if policy is None and state is None:
        return None
    name = (policy or state)[0]  # type: ignore[index]
    p = policy[1] if policy else {}
    s = state[1] if state else {}
    quota, window = _number(p.get("q")), _number(p.get("w"))
    remaining, reset = _number(s.get("r")), _number(s.get("t"))
    return RateLimitHeaders(
        policy=name,
        quota=int(quota) if quota is not None else None,
        window=window,
        remaining=int(remaining) if remaining is not None else None,
        reset=reset,
    )


def route_key(method: str, path: str) -> str:
    """`PATCH /campaigns/123` -> `PATCH /campaigns/{}`: ids never split a route."""
    bare = path.split("?", 1)[0]
    return f"{method.upper()} {_NUMERIC.sub('{}', bare)}"


@dataclass
class _Policy:
    name: str
    available: float = 1.0  # units we may still reserve (already net of in-flight ones)
    in_flight: int = 0
    quota: int | None = None
    window: float | None = None
    reset_at: float | None = None  # monotonic time the server's window ends


@dataclass
class Reservation:
    route: str
    policy: str
    waited: float = 0.0


@dataclass
class RateLimiter:
    """Shared by every task of one client (one ad account's token)."""

    clock: Callable[[], float] = time.monotonic
    # Margin added to a reset: the server's clock and rounding of `t` are not ours.
    margin: float = 0.05
    _routes: dict[str, str] = field(default_factory=dict)
    _policies: dict[str, _Policy] = field(default_factory=dict)
    # Tasks waiting for a unit, woken by every settled answer. The limiter's state changes
    # only between awaits (one event loop), so no lock guards it.
    _waiters: set[asyncio.Future[None]] = field(default_factory=set)

    def policy_of(self, route: str) -> str | None:
        known = self._routes.get(route)
        return None if known == UNLIMITED else known

    def _policy_for(self, route: str) -> _Policy | None:
        name = self._routes.get(route) or ROUTE_POLICIES.get(route)
        if name == UNLIMITED:
            return None
        if name is None:
            # Unknown route: one probe at a time until its answer names the policy.
            name = f"?{route}"
        if name not in self._policies:
            # A policy never answered yet: one probe at a time until an answer tells its count.
            self._policies[name] = _Policy(name)
        return self._policies[name]

    async def acquire(self, method: str, path: str) -> Reservation:
        route = route_key(method, path)
        started = self.clock()
        while True:
            policy = self._policy_for(route)
            if policy is None:
                return Reservation(route, UNLIMITED, self.clock() - started)
            now = self.clock()
            if policy.reset_at is not None and now >= policy.reset_at:
                # A new window began; its count is unknown (the server's window may
                # slide), so one request probes it and its answer tells the rest.
                policy.available = max(policy.available, 1)
                policy.reset_at = None
            if policy.available >= 1:
                policy.available -= 1
                policy.in_flight += 1
                return Reservation(route, policy.name, self.clock() - started)
            timeout = (
                policy.reset_at - now + self.margin
                if policy.reset_at is not None
                else _RECHECK_SECONDS
            )
            await self._next_change(max(timeout, 0.001))

    async def _next_change(self, timeout: float) -> None:
        """Returns once an answer is settled or `timeout` has passed. A plain future rather
        than `wait_for(Condition.wait())`: on Python 3.11 that swallows a cancellation that
        arrives as the wait ends, and the cancelled task stayed here, waiting forever."""
        loop = asyncio.get_running_loop()
        waiter: asyncio.Future[None] = loop.create_future()
        self._waiters.add(waiter)
        timer = loop.call_later(timeout, _wake, waiter)
        try:
            await waiter
        finally:
            timer.cancel()
            self._waiters.discard(waiter)

    def release(
        self,
        reservation: Reservation,
        headers: Mapping[str, str] | None,
        *,
        status: int | None = None,
        retry_after: float | None = None,
    ) -> None:
        """Feed one answer back, or a call that got none (headers None): it failed, or was
        cancelled, before an answer came. Synchronous, so a cancelled caller can too."""
        self._settle(reservation, headers, status, retry_after)
        for waiter in self._waiters:
            _wake(waiter)

    def _settle(
        self,
        reservation: Reservation,
        headers: Mapping[str, str] | None,
        status: int | None,
        retry_after: float | None,
    ) -> None:
        now = self.clock()
        held = self._policies.get(reservation.policy)
        if held is not None:
            held.in_flight = max(0, held.in_flight - 1)
        parsed = parse_headers(headers) if headers is not None else None
        if parsed is None:
            if headers is not None and status is not None and status < 400:
                self._routes.setdefault(reservation.route, UNLIMITED)
            if held is not None:
                unpaced = self._routes.get(reservation.route) == UNLIMITED
                # No answer (or a route that turned out unpaced): give the unit back.
                self._give_back(held, whole=status is None or unpaced)
            return
        self._routes[reservation.route] = parsed.policy
        policy = self._policies.setdefault(parsed.policy, _Policy(parsed.policy, available=0))
        if held is not None and held is not policy:
            self._give_back(held, whole=True)  # the answer names another policy
        policy.quota = parsed.quota or policy.quota
        policy.window = parsed.window or policy.window
        if status == 429:
            wait = retry_after if retry_after is not None else parsed.reset
            policy.available = 0
            policy.reset_at = now + (wait if wait is not None else (policy.window or 1.0))
            return
        if parsed.remaining is None or parsed.reset is None:
            return
        estimate = parsed.remaining - policy.in_flight
        reset_at = now + parsed.reset
        half_window = (policy.window or 0) / 2
        if policy.reset_at is None or reset_at > policy.reset_at + half_window:
            # First report of a (new) window: authoritative.
            policy.available = estimate
            policy.reset_at = reset_at
        elif reset_at < policy.reset_at - half_window:
            return  # measured in a window that has ended, read after the next one's answers
        else:
            # Same window, answers may arrive out of order: only ever lower the estimate.
            # Every answer's `now + t` is at or after the true reset (the answer travelled
            # and waited for us after the server measured `t`): the earliest is the closest.
            policy.available = min(policy.available, estimate)
            policy.reset_at = min(policy.reset_at, reset_at)

    @staticmethod
    def _give_back(held: _Policy, *, whole: bool) -> None:
        if whole and not held.name.startswith("?"):
            held.available += 1
        if held.reset_at is None and held.in_flight == 0:
            # Its window is unknown and no answer in flight will tell it: let one probe go
            # (else a probe answered without headers, a 5xx say, would stall the policy).
            held.available = max(held.available, 1)

    def snapshot(self) -> dict[str, dict[str, float | int | None]]:
        return {
            name: {"available": p.available, "in_flight": p.in_flight, "quota": p.quota}
            for name, p in self._policies.items()
            if not name.startswith("?")
        }


def _wake(waiter: asyncio.Future[None]) -> None:
    if not waiter.done():
        waiter.set_result(None)

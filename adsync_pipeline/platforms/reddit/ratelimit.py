"""Client-side pacing by Reddit's `RateLimit-Policy` / `RateLimit` response headers.

Reddit reports, per policy, the quota and window (`"name";q=200;w=60`) and what is left
(`"name";r=REMAINING;t=SECONDS`). We learn which policy each route belongs to from its first
answer, keep a conservative estimate of the units left per policy, reserve a unit before
sending (so concurrent tasks cannot all spend the last one) and wait for the reset when none
is left. 429s are a fallback, not the way we discover the limit.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

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
    _cond: asyncio.Condition | None = None

    def policy_of(self, route: str) -> str | None:
        known = self._routes.get(route)
        return None if known == UNLIMITED else known

    def _condition(self) -> asyncio.Condition:
        if self._cond is None:
            self._cond = asyncio.Condition()
        return self._cond

    def _policy_for(self, route: str) -> _Policy | None:
        name = self._routes.get(route)
        if name == UNLIMITED:
            return None
        if name is None:
            # Unknown route: one probe at a time until its answer names the policy.
            name = f"?{route}"
        if name not in self._policies:
            self._policies[name] = _Policy(name)
        return self._policies[name]

    async def acquire(self, method: str, path: str) -> Reservation:
        route = route_key(method, path)
        cond = self._condition()
        started = self.clock()
        async with cond:
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
                try:
                    await asyncio.wait_for(cond.wait(), timeout=max(timeout, 0.001))
                except TimeoutError:
                    pass

    async def release(
        self,
        reservation: Reservation,
        headers: Mapping[str, str] | None,
        *,
        status: int | None = None,
        retry_after: float | None = None,
    ) -> None:
        """Feed one answer (or a failure without answer: headers None) back."""
        cond = self._condition()
        async with cond:
            self._settle(reservation, headers, status, retry_after)
            cond.notify_all()

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
            if held is not None and reservation.policy.startswith("?"):
                held.available = max(held.available, 1)  # let the next probe go
            elif held is not None and status is None:
                held.available += 1  # never reached the server: give the unit back
            return
        self._routes[reservation.route] = parsed.policy
        policy = self._policies.setdefault(parsed.policy, _Policy(parsed.policy, available=0))
        if held is not None and held is not policy and reservation.policy.startswith("?"):
            held.available = max(held.available, 1)
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
        else:
            # Same window, answers may arrive out of order: only ever lower the estimate.
            policy.available = min(policy.available, estimate)
            policy.reset_at = max(policy.reset_at, reset_at)

    def snapshot(self) -> dict[str, dict[str, float | int | None]]:
        return {
            name: {"available": p.available, "in_flight": p.in_flight, "quota": p.quota}
            for name, p in self._policies.items()
            if not name.startswith("?")
        }

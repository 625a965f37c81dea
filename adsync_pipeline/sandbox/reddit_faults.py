"""Runtime knobs of the Reddit sandbox: fault injection, timing config and rate limiting."""

from __future__ import annotations

import json
import math
import re
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, fields
from typing import Any

from adsync_pipeline.sandbox.reddit_spec import Policy


def _truncated(body: bytes) -> bytes:
    return body[: len(body) // 2]


def _wrong_shape(body: bytes) -> bytes:
    # The entity in a list where the documented envelope has an object.
    return json.dumps({"data": [json.loads(body)["data"]]}).encode()


# How a garbled answer's JSON body is rewritten, by `malformed_body`.
MALFORMED_BODIES: dict[str, Callable[[bytes], bytes]] = {
    "truncated": _truncated,
    "empty": lambda body: b"",
    "invalid_json": lambda body: b"<html><body>502 upstream reset</body></html>",
    "wrong_shape": _wrong_shape,
}


@dataclass
class Faults:
    """What goes wrong, on purpose. All of it can be changed while the server runs."""

    error_rate: float = 0.0  # share of API requests answered with one of error_statuses
    error_statuses: list[int] = field(default_factory=lambda: [500, 502, 503])
    latency: float = 0.0  # seconds each API request takes in all (processing included)
    create_commit_then_502: float = 0.0  # share of creates committed, then answered 502
    create_commit_then_502_count: int = 0  # the next N creates are committed, then 502
    force_status: int | None = None  # every API request answered with this until cleared
    reject_names: list[str] = field(default_factory=list)  # regexes; matching creates get 400
    expires_in: int = 3600  # lifetime of newly issued access tokens, in seconds
    # Every Nth successful write (POST or PATCH, counted since the sandbox's reset) is
    # committed and its 2xx answer garbled on the way back, as a flaky proxy would: its body
    # becomes `malformed_body`.
    malformed_every: int = 0
    malformed_body: str = "invalid_json"  # one of MALFORMED_BODIES

    def name_rejected(self, name: str) -> bool:
        return any(re.search(pattern, name) for pattern in self.reject_names)

    def update(self, changes: dict[str, Any]) -> None:
        known = {f.name for f in fields(self)}
        unknown = set(changes) - known
        if unknown:
            raise ValueError(f"unknown fault(s): {sorted(unknown)}; known: {sorted(known)}")
        kind = changes.get("malformed_body", self.malformed_body)
        if kind not in MALFORMED_BODIES:
            raise ValueError(f"malformed_body {kind!r} is not one of {sorted(MALFORMED_BODIES)}")
        for name, value in changes.items():
            setattr(self, name, value)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Timing:
    """How time behaves: time_scale shrinks rate-limit windows for fast tests."""

    time_scale: float = 1.0
    rate_limits: dict[str, int] = field(default_factory=dict)  # policy name -> quota override
    effective_status_delay: float = 0.0  # seconds effective_status lags configured_status

    def update(self, changes: dict[str, Any]) -> None:
        for name, value in changes.items():
            if name not in {f.name for f in fields(self)}:
                raise ValueError(f"unknown setting: {name}")
            setattr(self, name, value)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    policy: str
    quota: int
    window: float
    remaining: int
    reset: float

    def headers(self, time_scale: float) -> dict[str, str]:
        window = format_seconds(self.window, time_scale)
        reset = format_seconds(self.reset, time_scale)
        out = {
            "RateLimit-Policy": f'"{self.policy}";q={self.quota};w={window}',
            "RateLimit": f'"{self.policy}";r={self.remaining};t={reset}',
        }
        if not self.allowed:
            out["Retry-After"] = str(max(1, math.ceil(self.reset)))
        return out


def format_seconds(seconds: float, time_scale: float) -> str:
    """Whole seconds like Reddit at real speed; millisecond precision when time is scaled.

    A scaled window of 0.6 s reported as "1" would make a paced client wait far too long.
    """
    if time_scale == 1:
        # Rounded first: float noise would otherwise turn a 60 s window into "61".
        return str(math.ceil(round(seconds, 3)))
    return f"{max(seconds, 0.001):.3f}".rstrip("0").rstrip(".")


class RateLimiter:
    """Fixed windows per policy, starting at the first request after the previous one ends."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._windows: dict[str, tuple[float, int]] = {}

    def reset(self) -> None:
        with self._lock:
            self._windows.clear()

    def check(self, policy: Policy, timing: Timing, consume: bool) -> Verdict:
        quota = timing.rate_limits.get(policy.name, policy.quota)
        window = policy.window * timing.time_scale
        now = time.monotonic()
        with self._lock:
            started, used = self._windows.get(policy.name, (now, 0))
            if now - started >= window:
                started, used = now, 0
            allowed = used < quota
            if consume and allowed:
                used += 1
            self._windows[policy.name] = (started, used)
        reset = started + window - now
        return Verdict(allowed, policy.name, quota, window, max(quota - used, 0), reset)

"""Push benchmark: `python bench/push.py` (about a minute).

A generated set (default 100 campaigns x 2 ad groups x 3 ads) is pushed by the real engine
over real HTTP to the Reddit sandbox, which runs in its own process so that its work does
not share our interpreter. Three scenarios, each printing its measurement against its bar:

(a) 20 ms latency per API call, no rate limit: wall time against the critical-path bound,
    the sum over levels of ceil(calls at that level / concurrency) x latency. An ad is two
    calls in sequence (its post, then the ad), so posts and ads count as two levels.
    Bar: ratio <= 1.3.
(b) Reddit's write limits (200 per 60 s per policy), time-scaled: wall time against
    writes / rate on the busiest policy. Bar: ratio <= 1.15 with zero 429s.
(c) Re-push of the unchanged set: 0 writes, under 1 s; our call count beside a naive sync
    that updates every entity.

`--pacing` runs only (d), a small set that is bound by the rate alone:
(d) a 20 x 1 x 2 set against Reddit's write policies time-scaled by 20 (200 per 60 s
    becomes 10 per 3 s: the same rate as Reddit's, in windows the set outlasts eight times,
    so each route's first call meets a spent policy): wall time against writes / rate on
    the busiest policy, median of 3. Bar: ratio <= 1.1 with zero 429s.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import httpx

from adsync_pipeline.examples.generator import generate_campaign_set
from adsync_pipeline.security.vault import generate_key
from adsync_pipeline.store.campaign_sets import CampaignSetRepository
from adsync_pipeline.store.db import Database
from adsync_pipeline.store.migrate import upgrade_database
from adsync_pipeline.sync.push import PushOptions
from adsync_pipeline.sync.runner import push_async

WRITE_POLICY = "ads-campaign-management-write"
CREATIVE_POLICY = "ads-creative-management"
POLICY_QUOTA = 200
POLICY_WINDOW_S = 60.0
UNLIMITED = {
    "ads-campaign-management-read": 10**9,
    WRITE_POLICY: 10**9,
    CREATIVE_POLICY: 10**9,
    "ads-business-manager": 10**9,
    "ads-funding-instruments": 10**9,
}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Sandbox:
    def __init__(self) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "adsync_pipeline",
                "sandbox",
                "reddit",
                "--port",
                str(self.port),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        self.http = httpx.Client(base_url=self.base + "/_admin", timeout=30)
        deadline = time.monotonic() + 30
        while True:
            try:
                self.http.get("/config").raise_for_status()
                return
            except httpx.TransportError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)

    def setup(self, *, latency: float, time_scale: float, rate_limits: dict[str, int]) -> None:
        self.http.put("/faults", json={"latency": latency}).raise_for_status()
        self.http.put(
            "/config", json={"time_scale": time_scale, "rate_limits": rate_limits}
        ).raise_for_status()
        self.http.delete("/requests").raise_for_status()

    def lone_call_ms(self, calls: int = 30) -> float:
        """Median round trip of one call at a time (refused unauthenticated, after the
        latency): how faithfully the sandbox keeps its latency, the floor under (a)."""
        took = []
        with httpx.Client(base_url=self.base) as client:
            for _ in range(calls):
                started = time.perf_counter()
                client.get("/api/v3/me")
                took.append(time.perf_counter() - started)
        return statistics.median(took) * 1000

    def api_requests(self) -> list[dict[str, Any]]:
        log = self.http.get("/requests").json()
        entries = log["data"] if isinstance(log, dict) else log
        return [e for e in entries if e["path"].startswith("/api/v3")]

    def close(self) -> None:
        self.http.close()
        self.proc.terminate()
        self.proc.wait(timeout=10)


def writes_of(requests: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [r for r in requests if r["method"] in ("POST", "PATCH")]


def import_set(db: Database, name: str, args: argparse.Namespace) -> int:
    doc = generate_campaign_set(args.campaigns, args.groups, args.ads, name=name)
    return CampaignSetRepository(db).import_set(doc).campaign_set_id


def push(db: Database, set_id: int, concurrency: int) -> tuple[float, Any]:
    started = time.perf_counter()
    result = asyncio.run(push_async(db, set_id, options=PushOptions(concurrency=concurrency)))
    return time.perf_counter() - started, result


def critical_path_bound(args: argparse.Namespace, latency: float) -> float:
    groups = args.campaigns * args.groups
    ads = groups * args.ads
    levels = [args.campaigns, groups, ads, ads]  # campaigns, ad groups, posts, ads
    return sum(math.ceil(n / args.concurrency) for n in levels) * latency


PACING_SCALE = 20  # (d): windows and quotas both divided by this


def pacing_case(sandbox: Sandbox, db: Database, tag: str, repeat: int) -> list[str]:
    """(d): returns its failures."""
    args = argparse.Namespace(campaigns=20, groups=1, ads=2)
    time_scale = 1 / PACING_SCALE
    quota = POLICY_QUOTA // PACING_SCALE
    window = POLICY_WINDOW_S * time_scale
    walls, ratios, throttled = [], [], []
    failed = 0
    for run in range(repeat):
        sandbox.setup(
            latency=0.0,
            time_scale=time_scale,
            rate_limits={WRITE_POLICY: quota, CREATIVE_POLICY: quota},
        )
        set_id = import_set(db, f"Pacing set {run} {tag}", args)
        wall, result = push(db, set_id, 8)
        requests = sandbox.api_requests()
        writes = [r for r in writes_of(requests) if r["status"] != 429]
        creative = sum(1 for r in writes if "/posts" in r["path"])
        busiest = max(len(writes) - creative, creative)
        bound = busiest / (quota / window)
        # The last window's writes go at its start: no push can end before this.
        floor = (math.ceil(busiest / quota) - 1) * window
        walls.append(wall)
        ratios.append(wall / bound)
        throttled.append(sum(1 for r in requests if r["status"] == 429))
        failed += result.failed
    ratio = statistics.median(ratios)
    ok = ratio <= 1.1 and max(throttled) == 0 and not failed
    print(
        f"(d) 20 x 1 x 2 under the write policies time-scaled by {PACING_SCALE} "
        f"({quota} per {window:g} s): walls {[round(w, 2) for w in walls]} s, writes / rate "
        f"{bound:.2f} s (the windows alone: {floor:.2f} s); median ratio {ratio:.2f} "
        f"(bar <= 1.10), 429s {throttled} (bar 0) "
        f"{'PASS' if ok else 'FAIL'}"
    )
    return [] if ok else ["(d) over the bar, saw 429s or failed entities"]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--campaigns", type=int, default=100)
    parser.add_argument("--groups", type=int, default=2)
    parser.add_argument("--ads", type=int, default=3)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--latency", type=float, default=0.020)
    # 0.05 makes a 60 s window last 3 s. Smaller scales ask for more calls per second, and
    # on a busy 2-core machine (b) would then measure our CPU (~1.3 ms per call) rather than
    # our pacing: 0.02 (~280 writes/s) measured 1.01 on a quiet one.
    parser.add_argument("--time-scale", type=float, default=0.05)
    parser.add_argument("--repeat", type=int, default=5, help="runs of (a) and (c); medians")
    parser.add_argument(
        "--pacing", action="store_true", help="run only (d), 3 times (or --repeat if given)"
    )
    parser.add_argument(
        "--database-url",
        help="the store to push from (default: a new SQLite file); e.g. "
        "postgresql+psycopg://postgres@127.0.0.1:5432/test",
    )
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="adsync-bench-"))
    sandbox = Sandbox()
    db_url = args.database_url or f"sqlite:///{workdir / 'bench.db'}"
    # Set names of their own: on a reused database, a re-import would make (a) a no-op.
    tag = uuid.uuid4().hex[:8]
    os.environ.update(
        {
            "ADSYNC_DATABASE_URL": db_url,
            "ADSYNC_REDDIT_API_URL": sandbox.base + "/api/v3",
            "ADSYNC_REDDIT_AUTH_URL": sandbox.base,
            "ADSYNC_REDDIT_CLIENT_ID": "sandbox-client",
            "ADSYNC_REDDIT_CLIENT_SECRET": "sandbox-secret",
            "ADSYNC_ENCRYPTION_KEY": os.environ.get("ADSYNC_ENCRYPTION_KEY") or generate_key(),
        }
    )
    failures: list[str] = []
    try:
        upgrade_database(db_url)
        db = Database.from_url(db_url)
        subprocess.run(
            [
                sys.executable,
                "-m",
                "adsync_pipeline",
                "accounts",
                "add",
                "reddit",
                "--account-id",
                "t2_sandbox01",
                "--refresh-token",
                "sandbox-refresh-token",
            ],
            check=True,
            stdout=subprocess.DEVNULL,
        )
        if args.pacing:
            repeat = args.repeat if "--repeat" in sys.argv else 3
            failures += pacing_case(sandbox, db, tag, repeat)
            return _report(failures)
        entities = args.campaigns * args.groups * (1 + args.ads) + args.campaigns
        print(
            f"set: {args.campaigns} campaigns x {args.groups} ad groups x {args.ads} ads "
            f"= {entities} entities; concurrency {args.concurrency}; store "
            f"{db.engine.dialect.name}"
        )

        # (a) latency-bound -------------------------------------------------------------
        bound = critical_path_bound(args, args.latency)
        sandbox.setup(latency=args.latency, time_scale=1.0, rate_limits=UNLIMITED)
        print(
            f"(a) sandbox round trip of a lone call at {args.latency * 1000:.0f} ms latency: "
            f"median {sandbox.lone_call_ms():.2f} ms"
        )
        walls, noop_walls, noop_writes, noop_calls = [], [], [], []
        for run in range(args.repeat):
            sandbox.setup(latency=args.latency, time_scale=1.0, rate_limits=UNLIMITED)
            set_id = import_set(db, f"Latency set {run} {tag}", args)
            wall, result = push(db, set_id, args.concurrency)
            if result.failed:
                failures.append(f"(a) run {run}: {result.failed} entities failed")
            walls.append(wall)
            # (c) no-op re-push of the same set --------------------------------------------
            sandbox.setup(latency=args.latency, time_scale=1.0, rate_limits=UNLIMITED)
            wall_c, _ = push(db, set_id, args.concurrency)
            requests = sandbox.api_requests()
            noop_walls.append(wall_c)
            noop_writes.append(len(writes_of(requests)))
            noop_calls.append(len(requests))
        ratio_a = statistics.median(walls) / bound
        print(
            f"(a) 20 ms latency: median wall {statistics.median(walls):.2f} s over "
            f"{args.repeat} runs {[round(w, 2) for w in walls]}; critical-path bound "
            f"{bound:.2f} s; ratio {ratio_a:.2f} (bar <= 1.30) "
            f"{'PASS' if ratio_a <= 1.3 else 'FAIL'}"
        )
        if ratio_a > 1.3:
            failures.append("(a) ratio above 1.3")
        naive = entities
        worst_writes = max(noop_writes)
        noop_ok = worst_writes == 0 and statistics.median(noop_walls) < 1.0
        print(
            f"(c) no-op re-push: median wall {statistics.median(noop_walls):.3f} s, "
            f"writes {noop_writes}, API calls {noop_calls} vs a naive sync's {naive} "
            f"updates (bar: 0 writes, < 1 s) {'PASS' if noop_ok else 'FAIL'}"
        )
        if not noop_ok:
            failures.append("(c) no-op re-push wrote or took 1 s or more")

        # (b) rate-limit-bound ----------------------------------------------------------
        sandbox.setup(latency=0.0, time_scale=args.time_scale, rate_limits={})
        set_id = import_set(db, f"Rate-limited set {tag}", args)
        wall, result = push(db, set_id, args.concurrency)
        requests = sandbox.api_requests()
        writes = writes_of(requests)
        creative = [r for r in writes if "/posts" in r["path"]]
        management = len(writes) - len(creative)
        window = POLICY_WINDOW_S * args.time_scale
        bound_b = max(management, len(creative)) / (POLICY_QUOTA / window)
        throttled = sum(1 for r in requests if r["status"] == 429)
        ratio_b = wall / bound_b
        ok_b = ratio_b <= 1.15 and throttled == 0 and not result.failed
        print(
            f"(b) Reddit write limits x{args.time_scale}: {len(writes)} writes "
            f"({management} campaign-management, {len(creative)} creative) in {wall:.2f} s; "
            f"writes / rate {bound_b:.2f} s; ratio {ratio_b:.2f} (bar <= 1.15), "
            f"429s {throttled} (bar 0) {'PASS' if ok_b else 'FAIL'}"
        )
        if not ok_b:
            failures.append("(b) over the bar or saw 429s")
    finally:
        sandbox.close()
    return _report(failures)


def _report(failures: list[str]) -> int:
    print(json.dumps({"failures": failures}))
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())

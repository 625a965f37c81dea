"""What open event streams cost the API server: its CPU, and the latency of other requests.

    python bench/streams.py [--streams 50] [--seconds 10]

Serves `adsync api serve` in a subprocess over a temporary SQLite store, queues one job
(no Dagster daemon, so it stays queued: the streams follow it and wait), opens the streams
of that job, then samples the server's CPU (user + system time from /proc) and the latency
of `GET /api/v1/campaign-sets` over `--seconds`, first with no stream and then with them.
Bar: with the streams, server CPU ≤ 10% of one core and median latency ≤ 2× without.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from adsync_pipeline.imports import read_campaign_set
from adsync_pipeline.store.api_keys import ApiKeyRepository
from adsync_pipeline.store.campaign_sets import CampaignSetRepository
from adsync_pipeline.store.db import Database
from adsync_pipeline.store.migrate import upgrade_database
from adsync_pipeline.sync.requests import request_sync

EXAMPLE = Path(__file__).parents[1] / "adsync_pipeline" / "examples" / "summer-sale.json"
CPU_BAR = 0.10
LATENCY_BAR = 2.0


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


async def _sample(pid: int, base: str, headers: dict[str, str], seconds: float):
    latencies: list[float] = []
    cpu_before, started = _cpu_seconds(pid), time.monotonic()
    async with httpx.AsyncClient(base_url=base, headers=headers, timeout=60) as http:
        while time.monotonic() - started < seconds:
            sent = time.perf_counter()
            (await http.get("/api/v1/campaign-sets")).raise_for_status()
            latencies.append(time.perf_counter() - sent)
            await asyncio.sleep(0.1)
    cpu = (_cpu_seconds(pid) - cpu_before) / (time.monotonic() - started)
    return cpu, statistics.median(latencies)


async def _follow(base: str, headers: dict[str, str], path: str, opened: asyncio.Event) -> int:
    async with (
        httpx.AsyncClient(base_url=base, headers=headers, timeout=None) as http,
        http.stream("GET", path) as response,
    ):
        opened.set()
        if response.status_code != 200:
            return response.status_code
        async for _ in response.aiter_lines():
            pass
    return 200


async def _measure(pid: int, base: str, key: str, set_id: int, args: argparse.Namespace):
    headers = {"Authorization": f"Bearer {key}"}
    idle_cpu, idle_latency = await _sample(pid, base, headers, args.seconds)
    path = f"/api/v1/campaign-sets/{set_id}/sync-stream"
    opened = [asyncio.Event() for _ in range(args.streams)]
    streams = [asyncio.create_task(_follow(base, headers, path, e)) for e in opened]
    await asyncio.gather(*(e.wait() for e in opened))
    refused = [t.result() for t in streams if t.done()]
    busy_cpu, busy_latency = await _sample(pid, base, headers, args.seconds)
    for task in streams:
        task.cancel()
    await asyncio.gather(*streams, return_exceptions=True)
    return idle_cpu, idle_latency, busy_cpu, busy_latency, refused


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--streams", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=10.0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as home:
        url = f"sqlite:///{Path(home) / 'adsync.db'}"
        upgrade_database(url)
        db = Database.from_url(url)
        set_id = CampaignSetRepository(db).import_set(read_campaign_set(EXAMPLE)).campaign_set_id
        request_sync(db, set_id, "bench")
        key = ApiKeyRepository(db).create("bench")[1]
        db.dispose()
        port = _free_port()
        env = {
            **os.environ,
            "ADSYNC_DATABASE_URL": url,
            "DAGSTER_HOME": home,
            "ADSYNC_API_MAX_STREAMS": str(args.streams),
            "ADSYNC_API_MAX_STREAMS_PER_KEY": str(args.streams),
        }
        server = subprocess.Popen(
            [sys.executable, "-m", "adsync_pipeline", "api", "serve", "--port", str(port)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        base = f"http://127.0.0.1:{port}"
        try:
            while True:
                try:
                    httpx.get(base + "/health")
                    break
                except httpx.TransportError:
                    if server.poll() is not None:
                        raise SystemExit("the API server did not start") from None
                    time.sleep(0.2)
            idle_cpu, idle_latency, busy_cpu, busy_latency, refused = asyncio.run(
                _measure(server.pid, base, key, set_id, args)
            )
        finally:
            server.send_signal(signal.SIGINT)
            server.wait(timeout=30)
    print(
        f"no stream:   server CPU {idle_cpu:6.1%}  GET latency median {idle_latency * 1000:.1f} ms"
    )
    print(
        f"{args.streams} streams: server CPU {busy_cpu:6.1%}  GET latency median "
        f"{busy_latency * 1000:.1f} ms ({busy_latency / idle_latency:.1f}×)"
        + (f"; {len(refused)} streams refused ({sorted(set(refused))})" if refused else "")
    )
    ok = busy_cpu <= CPU_BAR and busy_latency <= LATENCY_BAR * idle_latency and not refused
    print(f"bar: CPU ≤ {CPU_BAR:.0%}, latency ≤ {LATENCY_BAR}× : {'met' if ok else 'MISSED'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

"""How long from `adsync sync SET_ID` to the first call on the platform, with a real
`dagster-daemon` serving requests (sensor → run queue → run worker → push).

    python bench/trigger.py [--samples 5]

Runs everything locally in a temporary DAGSTER_HOME (SQLite store and instance, the shipped
dagster.yaml) against the Reddit sandbox in this process. Each sample changes a budget first,
so every push has a write to make. Bar: median <= sensor interval + 10 s.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path

from adsync_pipeline.domain.model import CampaignSet
from adsync_pipeline.imports import read_campaign_set
from adsync_pipeline.orchestration.sensors import SENSOR_INTERVAL_S
from adsync_pipeline.sandbox.reddit import RunningSandbox, run_sandbox_in_thread
from adsync_pipeline.security.vault import generate_key
from adsync_pipeline.store.campaign_sets import CampaignSetRepository
from adsync_pipeline.store.db import Database
from adsync_pipeline.store.migrate import migrated_database
from adsync_pipeline.store.sync_requests import FINISHED_STATUSES, SyncRequestRepository
from adsync_pipeline.sync.demo import (
    SANDBOX_ACCOUNT,
    SANDBOX_CLIENT_ID,
    SANDBOX_CLIENT_SECRET,
    SANDBOX_REFRESH_TOKEN,
)

REPO = Path(__file__).resolve().parents[1]
BAR_S = SENSOR_INTERVAL_S + 10
TIMEOUT_S = 120


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, run_sandbox_in_thread() as sandbox:
        env = _environment(Path(tmp), sandbox)
        os.environ.update(env)  # this process reads the same store as the subprocesses
        db = migrated_database()
        example = _example()
        set_id = CampaignSetRepository(db).import_set(example).campaign_set_id
        _adsync(env, "accounts", "add", "reddit", "--account-id", SANDBOX_ACCOUNT,
                "--refresh-token", SANDBOX_REFRESH_TOKEN)  # fmt: skip
        daemon = subprocess.Popen(
            [str(Path(sys.executable).parent / "dagster-daemon"), "run", "-w", "workspace.yaml"],
            cwd=REPO,
            env=env,
            stdout=(Path(tmp) / "daemon.log").open("wb"),
            stderr=subprocess.STDOUT,
            start_new_session=True,  # so its code server and run workers stop with it
        )
        try:
            samples = []
            # Sample 0 warms up (daemon start, code location load, the first creates).
            for i in range(args.samples + 1):
                bumped = _with_budget(example, i)
                CampaignSetRepository(db).import_set(bumped)
                latency = _one_sync(env, db, sandbox, set_id)
                label = "warm-up" if i == 0 else f"sample {i}"
                print(f"{label:>9}: first platform call after {latency:5.1f} s", flush=True)
                if i:
                    samples.append(latency)
        finally:
            os.killpg(daemon.pid, signal.SIGTERM)
            daemon.wait(timeout=30)
            db.dispose()
    median = statistics.median(samples)
    verdict = "OK" if median <= BAR_S else "TOO SLOW"
    print(
        f"median {median:.1f} s over {len(samples)} (min {min(samples):.1f}, max "
        f"{max(samples):.1f}); sensor interval {SENSOR_INTERVAL_S} s; bar {BAR_S} s: {verdict}"
    )
    sys.exit(0 if median <= BAR_S else 1)


def _environment(tmp: Path, sandbox: RunningSandbox) -> dict[str, str]:
    home = tmp / "dagster_home"
    home.mkdir()
    shutil.copy(REPO / "dagster_home" / "dagster.yaml", home / "dagster.yaml")
    return {
        **os.environ,
        "DAGSTER_HOME": str(home),
        "ADSYNC_DATABASE_URL": f"sqlite:///{home / 'adsync.db'}",
        "ADSYNC_ENCRYPTION_KEY": generate_key(),
        "ADSYNC_REDDIT_API_URL": sandbox.api_url,
        "ADSYNC_REDDIT_AUTH_URL": sandbox.auth_url,
        "ADSYNC_REDDIT_CLIENT_ID": SANDBOX_CLIENT_ID,
        "ADSYNC_REDDIT_CLIENT_SECRET": SANDBOX_CLIENT_SECRET,
    }


def _example() -> CampaignSet:
    example = resources.files("adsync_pipeline") / "examples" / "summer-sale.json"
    with resources.as_file(example) as path:
        return read_campaign_set(path)


def _with_budget(doc: CampaignSet, step: int) -> CampaignSet:
    first = doc.campaigns[0]
    budget = replace(first.budget, amount=first.budget.amount + step)
    return replace(doc, campaigns=[replace(first, budget=budget), *doc.campaigns[1:]])


def _one_sync(env: dict[str, str], db: Database, sandbox: RunningSandbox, set_id: int) -> float:
    started = time.time()
    request_id = json.loads(_adsync(env, "sync", str(set_id), "--json"))["request_id"]
    first_call = None
    requests = SyncRequestRepository(db)
    deadline = time.monotonic() + TIMEOUT_S
    while time.monotonic() < deadline:
        if first_call is None:
            first_call = next((t for t in map(_seconds, sandbox.requests()) if t >= started), None)
        if requests.get(request_id).status in FINISHED_STATUSES:
            break
        time.sleep(0.1)
    else:
        raise SystemExit(f"request {request_id} not served within {TIMEOUT_S} s")
    if first_call is None:
        raise SystemExit(f"request {request_id} finished without a platform call")
    return first_call - started


def _seconds(entry: dict[str, str]) -> float:
    return datetime.strptime(entry["time"], "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC).timestamp()


def _adsync(env: dict[str, str], *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-c", "from adsync_pipeline.cli import main; main()", *args],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    if done.returncode:
        raise SystemExit(f"adsync {' '.join(args)} failed:\n{done.stdout}{done.stderr}")
    return done.stdout


if __name__ == "__main__":
    main()

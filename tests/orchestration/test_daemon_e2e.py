"""End to end: a real `dagster-daemon` on PostgreSQL storage serves `adsync sync SET_ID`.

The store lives in a fresh PostgreSQL schema and the Dagster instance in a fresh PostgreSQL
database, configured by the shipped `dagster_home/dagster.postgres.yaml`. The Reddit
sandbox runs in this process; the daemon's run worker calls it over loopback.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from dagster import DagsterInstance, DagsterRun, DagsterRunStatus, RunsFilter
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from adsync_pipeline.sandbox.reddit import RunningSandbox
from adsync_pipeline.security.vault import generate_key
from adsync_pipeline.store.db import Database
from adsync_pipeline.store.migrate import upgrade_database
from adsync_pipeline.sync.demo import (
    SANDBOX_ACCOUNT,
    SANDBOX_CLIENT_ID,
    SANDBOX_CLIENT_SECRET,
    SANDBOX_REFRESH_TOKEN,
    import_example,
)
from tests.fixtures.db import _require_postgres, postgres_admin_url

REPO = Path(__file__).resolve().parents[2]
DEADLINE_S = 90
pytestmark = pytest.mark.e2e


@pytest.fixture
def dagster_postgres_url() -> Iterator[str]:
    """A fresh database for the Dagster instance (it has its own alembic_version table)."""
    _require_postgres()
    name = f"adsync_e2e_{uuid.uuid4().hex[:10]}"
    admin = create_engine(postgres_admin_url(), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(postgres_admin_url()).set(drivername="postgresql", database=name)
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def stack_env(
    tmp_path: Path, postgres_url: str, dagster_postgres_url: str, reddit_sandbox: RunningSandbox
) -> dict[str, str]:
    home = tmp_path / "dagster_home"
    home.mkdir()
    shutil.copy(REPO / "dagster_home" / "dagster.postgres.yaml", home / "dagster.yaml")
    return {
        **os.environ,
        "DAGSTER_HOME": str(home),
        "DAGSTER_POSTGRES_URL": dagster_postgres_url,
        "ADSYNC_DATABASE_URL": postgres_url,
        "ADSYNC_ENCRYPTION_KEY": generate_key(),
        "ADSYNC_REDDIT_API_URL": reddit_sandbox.api_url,
        "ADSYNC_REDDIT_AUTH_URL": reddit_sandbox.auth_url,
        "ADSYNC_REDDIT_CLIENT_ID": SANDBOX_CLIENT_ID,
        "ADSYNC_REDDIT_CLIENT_SECRET": SANDBOX_CLIENT_SECRET,
    }


def _adsync(env: dict[str, str], *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-c", "from adsync_pipeline.cli import main; main()", *args],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


@pytest.fixture
def daemon(stack_env: dict[str, str], tmp_path: Path) -> Iterator[subprocess.Popen[bytes]]:
    log = (tmp_path / "daemon.log").open("wb")
    process = subprocess.Popen(
        [str(Path(sys.executable).parent / "dagster-daemon"), "run", "-w", "workspace.yaml"],
        cwd=REPO,
        env=stack_env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # its code server and run workers share our group id
    )
    yield process
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
    log.close()


def test_adsync_sync_is_served_by_the_daemon(
    stack_env: dict[str, str],
    postgres_url: str,
    reddit_sandbox: RunningSandbox,
    daemon: subprocess.Popen[bytes],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    upgrade_database(postgres_url)
    db = Database.from_url(postgres_url)
    try:
        set_id = import_example(db).set_id
    finally:
        db.dispose()
    _adsync(
        stack_env,
        "accounts",
        "add",
        "reddit",
        "--account-id",
        SANDBOX_ACCOUNT,
        "--refresh-token",
        SANDBOX_REFRESH_TOKEN,
    )

    started = time.monotonic()
    request = json.loads(_adsync(stack_env, "sync", str(set_id), "--json"))
    assert request["status"] == "queued"

    # The instance reads its storage URL from the environment, as the daemon does.
    monkeypatch.setenv("DAGSTER_POSTGRES_URL", stack_env["DAGSTER_POSTGRES_URL"])
    with DagsterInstance.from_config(stack_env["DAGSTER_HOME"]) as instance:
        run = _wait_for_run(instance, request["request_id"], started, daemon, tmp_path)
        assert run.status == DagsterRunStatus.SUCCESS, _daemon_log(tmp_path)
        assert run.tags["adsync/ad_account"] and run.tags["adsync/trigger"] == "cli"
        assert run.tags["dagster/partition"] == f"{set_id}-summer-sale-2026"
        metadata = _push_metadata(instance, run.run_id)

    state = reddit_sandbox.state.snapshot()
    campaign_names = {c["name"] for c in state["campaigns"].values()}
    assert {"Summer Sale - Shoes", "Summer Sale - Bags"} <= campaign_names
    assert metadata["synced"] >= len(state["campaigns"]) + len(state["ad_groups"])
    assert metadata["failed"] == 0
    assert metadata["api_calls"] > 0 and metadata["audit_calls"] == len(metadata["audit"]) > 0
    pushed_ids = {row["platform_id"] for row in metadata["results"]}
    assert set(state["campaigns"]) <= pushed_ids


def _wait_for_run(
    instance: DagsterInstance,
    request_id: int,
    started: float,
    daemon: subprocess.Popen[bytes],
    tmp_path: Path,
) -> DagsterRun:
    while time.monotonic() - started < DEADLINE_S:
        assert daemon.poll() is None, _daemon_log(tmp_path)
        runs = instance.get_runs(RunsFilter(tags={"adsync/request_id": str(request_id)}))
        if runs and runs[0].is_finished:
            return runs[0]
        time.sleep(1)
    pytest.fail(f"no finished run within {DEADLINE_S} s\n{_daemon_log(tmp_path)}")


def _push_metadata(instance: DagsterInstance, run_id: str) -> dict[str, object]:
    for record in instance.get_records_for_run(run_id).records:
        event = record.event_log_entry.dagster_event
        if event and event.is_step_materialization:
            materialization = event.step_materialization_data.materialization
            if materialization.asset_key.to_user_string() == "platform_push":
                values = {k: v.value for k, v in materialization.metadata.items()}
                for table in ("results", "audit"):
                    values[table] = [r.data for r in values[table].records]
                return values
    pytest.fail("the run materialized no platform_push")


def _daemon_log(tmp_path: Path) -> str:
    return (tmp_path / "daemon.log").read_text(errors="replace")[-5000:]

"""After `adsync demo`, the README's next steps work from any directory with no variable set:
the CLI, `adsync dev` (its sensor serves `adsync sync`, a reconcile run succeeds) and
`adsync api serve` all read the local configuration the demo left."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from dagster import DagsterInstance, DagsterRunStatus, build_schedule_context
from dagster_graphql import DagsterGraphQLClient

from adsync_pipeline.definitions import defs
from adsync_pipeline.orchestration.reconcile import reconcile_platforms
from adsync_pipeline.orchestration.resources import CampaignStoreResource

REPO = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.e2e


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Shell:
    """Runs `adsync` as a user would: no ADSYNC_* or DAGSTER_* variable, in a directory."""

    def __init__(self, cwd: Path, env: dict[str, str]) -> None:
        self.cwd, self.env = cwd, env

    def run(self, *args: str, ok: bool = True) -> subprocess.CompletedProcess[str]:
        done = subprocess.run(
            [sys.executable, "-m", "adsync_pipeline", *args],
            cwd=self.cwd,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=180,
        )
        if ok:
            assert done.returncode == 0, f"adsync {' '.join(args)}:\n{done.stdout}{done.stderr}"
        return done

    def json(self, *args: str) -> Any:
        return json.loads(self.run(*args, "--json").stdout)

    def start(self, *args: str, log: Path) -> subprocess.Popen[str]:
        """`adsync ARGS` in the background; its output goes to `log`, shown on failure."""
        return subprocess.Popen(
            [sys.executable, "-m", "adsync_pipeline", *args],
            cwd=self.cwd,
            env=self.env,
            stdout=log.open("w"),
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )


def _wait_for(what: str, check: Any, timeout: float) -> Any:
    deadline = time.monotonic() + timeout
    started = time.monotonic()
    while time.monotonic() < deadline:
        value = check()
        if value:
            print(f"{what}: {time.monotonic() - started:.1f} s")
            return value
        time.sleep(1)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")


def _stop_group(process: subprocess.Popen[str]) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)


@pytest.fixture
def demo_done(tmp_path: Path) -> Iterator[tuple[Shell, Path]]:
    """A fresh clone's layout after `adsync demo`, and a shell in another directory."""
    clone = tmp_path / "clone"
    (clone / "dagster_home").mkdir(parents=True)
    shutil.copy(REPO / "dagster_home" / "dagster.yaml", clone / "dagster_home")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ADSYNC_", "DAGSTER_"))}
    try:
        Shell(clone, env).run("demo")
        yield Shell(elsewhere, env), clone / "dagster_home"
    finally:
        Shell(clone, env).run("sandbox", "stop")


def test_next_steps_need_no_variable(
    demo_done: tuple[Shell, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shell, home = demo_done
    assert not (shell.cwd / "dagster_home").exists()
    listed = shell.run("sets", "list").stdout
    assert "Summer Sale 2026" in listed

    # Edit the authoring file, import it, plan and queue a push — from another directory.
    document = json.loads((REPO / "adsync_pipeline" / "examples" / "summer-sale.json").read_text())
    document["campaigns"][0]["name"] = "Shoes — renamed after the demo"
    edited = tmp_path / "summer-sale.json"
    edited.write_text(json.dumps(document))
    shell.run("import", str(edited))
    assert "update" in shell.run("plan", "1").stdout
    shell.run("sync", "1")
    assert not (shell.cwd / "dagster_home").exists()  # no stray store was created here

    # The sandbox was stopped: whichever process needs Reddit first starts it again.
    shell.run("sandbox", "stop")

    port = _free_port()
    dev = shell.start("dev", "-p", str(port), log=tmp_path / "dev.log")
    try:
        request = _wait_for(
            "the sensor to serve the sync request",
            lambda: _finished(shell.json("status", "1")["latest_sync_request"]),
            timeout=300,
        )
        assert request["status"] == "completed", request
        status = shell.json("status", "1")
        campaign = status["campaigns"][0]
        assert campaign["name"] == "Shoes — renamed after the demo"
        assert campaign["sync_status"] == "synced"

        # The 15-minute reconcile schedule, evaluated now; its run launched in `adsync dev`.
        monkeypatch.setenv("DAGSTER_HOME", str(home))
        with DagsterInstance.get() as instance:
            context = build_schedule_context(
                instance=instance,
                resources={"store": CampaignStoreResource()},
                scheduled_execution_time=datetime.now(UTC),
                repository_def=defs.get_repository_def(),
            )
            [run_request] = reconcile_platforms.evaluate_tick(context).run_requests
        client = DagsterGraphQLClient("127.0.0.1", port_number=port)
        _wait_for("the webserver", lambda: _answers(port), timeout=120)
        tags = {**run_request.tags, "dagster/partition": run_request.partition_key}
        run_id = client.submit_job_execution("reconcile_account", tags=tags)
        final = _wait_for(
            "the reconcile run",
            lambda: _terminal(client.get_run_status(run_id)),
            timeout=180,
        )
        assert final == DagsterRunStatus.SUCCESS

        # The API, too, finds the store and the key.
        key = shell.run("api", "keys", "create", "newcomer").stdout.split()[-1]
        api_port = _free_port()
        api = shell.start("api", "serve", "--port", str(api_port), log=tmp_path / "api.log")
        try:
            _wait_for("the API", lambda: _answers(api_port, "/health"), timeout=60)
            answer = httpx.get(
                f"http://127.0.0.1:{api_port}/api/v1/campaign-sets",
                headers={"Authorization": f"Bearer {key}"},
            )
            assert answer.status_code == 200, answer.text
            assert "Summer Sale 2026" in answer.text
        finally:
            _stop_group(api)
    finally:
        _stop_group(dev)


def _finished(request: dict[str, Any] | None) -> dict[str, Any] | None:
    if request and request.get("status") in ("completed", "failed"):
        return request
    return None


def _terminal(status: DagsterRunStatus) -> DagsterRunStatus | None:
    done = (DagsterRunStatus.SUCCESS, DagsterRunStatus.FAILURE, DagsterRunStatus.CANCELED)
    return status if status in done else None


def _answers(port: int, path: str = "/server_info") -> bool:
    try:
        return httpx.get(f"http://127.0.0.1:{port}{path}", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False

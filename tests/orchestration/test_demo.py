"""`adsync demo` from nothing configured, twice: the second run writes nothing."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def _demo(cwd: Path, env: dict[str, str]) -> str:
    done = subprocess.run(
        [sys.executable, "-c", "from adsync_pipeline.cli import main; main()", "demo"],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def test_demo_runs_from_scratch_and_is_idempotent(tmp_path: Path) -> None:
    # As in a fresh clone: ./dagster_home holds only the shipped dagster.yaml.
    (tmp_path / "dagster_home").mkdir()
    shutil.copy(REPO / "dagster_home" / "dagster.yaml", tmp_path / "dagster_home")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ADSYNC_", "DAGSTER_"))}

    try:
        first = _demo(tmp_path, env)
        assert "SUCCESS" in first and "0 failed" in first
        assert "campaign  shoes" in first and " -  " not in first  # every entity has its id
        # The sandbox account, connected through `sync.accounts`, with its resources cached.
        assert "ad account     reddit t2_sandbox01 (Sandbox Ad Account), connected" in first
        assert "funding instrument -" not in first
        assert "sandbox-refresh-token" not in first
        # The key lives in the local configuration, readable by its owner only.
        config_file = tmp_path / "dagster_home" / "adsync.env"
        assert stat.S_IMODE(config_file.stat().st_mode) == 0o600
        assert "ADSYNC_ENCRYPTION_KEY=" in config_file.read_text()

        second = _demo(tmp_path, env)
        assert "SUCCESS" in second
        assert "zero writes to the platform" in second
        assert (tmp_path / "dagster_home" / "storage").is_dir()  # runs are in the instance
    finally:
        _stop_sandbox(tmp_path, env)


def _stop_sandbox(cwd: Path, env: dict[str, str]) -> None:
    subprocess.run(
        [sys.executable, "-m", "adsync_pipeline", "sandbox", "stop"],
        cwd=cwd,
        env=env,
        check=True,
        timeout=30,
    )

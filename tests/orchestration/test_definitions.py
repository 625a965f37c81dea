from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from dagster import AssetKey, Definitions

from adsync_pipeline.definitions import defs

REPO = Path(__file__).resolve().parents[2]


def test_definitions_are_loadable() -> None:
    Definitions.validate_loadable(defs)


def test_the_expected_definitions_exist() -> None:
    graph = defs.resolve_asset_graph()
    assert graph.get_all_asset_keys() == {
        AssetKey("campaign_hierarchy"),
        AssetKey("platform_push"),
        AssetKey("platform_snapshot"),
        AssetKey("reconciliation"),
    }
    checks = {(k.asset_key.to_user_string(), k.name) for k in graph.asset_check_keys}
    assert checks == {
        ("platform_push", "all_entities_synced"),
        ("platform_push", "platform_ids_stored"),
        ("reconciliation", "no_open_conflicts"),
    }
    repo = defs.get_repository_def()
    jobs = {j.name for j in repo.get_all_jobs() if not j.name.startswith("__")}
    assert jobs == {"push_campaign_set", "reconcile_account", "resolve_conflict"}
    assert {s.name for s in repo.sensor_defs} == {
        "pending_campaign_sets",
        "push_history",
        "push_run_failed",
    }
    assert {(s.name, s.cron_schedule) for s in repo.schedule_defs} == {
        ("retry_failed_syncs", "*/5 * * * *"),
        ("reconcile_platforms", "*/15 * * * *"),
    }
    retry = repo.get_schedule_def("retry_failed_syncs")
    sensor = repo.get_sensor_def("pending_campaign_sets")
    assert sensor.minimum_interval_seconds == 15
    assert sensor.default_status.value == "RUNNING"
    assert retry.default_status.value == "RUNNING"
    job = repo.get_job("push_campaign_set")
    assert job.partitions_def is not None and job.partitions_def.name == "campaign_sets"


def test_dagster_definitions_validate_passes_on_the_workspace(tmp_path: Path) -> None:
    env = {**os.environ, "DAGSTER_HOME": str(tmp_path)}
    done = subprocess.run(
        [sys.executable, "-m", "dagster", "definitions", "validate", "-w", "workspace.yaml"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert done.returncode == 0, done.stdout + done.stderr

"""Property-based run of schemathesis against `/openapi.json` with a valid key: no 5xx,
and every response matches its documented schema. The SSE stream is left out: it follows
a job until it ends, and these jobs are never run (no launcher); its 4xx cases and its
events have their own tests."""

from __future__ import annotations

import shutil
import subprocess
import sys

import pytest

from adsync_pipeline.imports.json_format import parse_json
from adsync_pipeline.store.campaign_sets import CampaignSetRepository
from adsync_pipeline.store.db import Database
from adsync_pipeline.store.sync_log import SyncLogRepository
from adsync_pipeline.sync.requests import request_sync
from tests.api.conftest import EXAMPLE, RunningApi
from tests.api.test_conflicts_pause_audit import open_conflict


def seed(db: Database) -> None:
    """Id 1 of each kind exists, so generated requests reach past the 404s."""
    set_id = CampaignSetRepository(db).import_set(parse_json(EXAMPLE.read_text(), "seed"))
    job_id = request_sync(db, set_id.campaign_set_id, "seed")
    progress = {"entity": "campaign", "key": "shoes", "status": "synced", "platformId": "p1"}
    SyncLogRepository(db).add_event(set_id.campaign_set_id, "sync-progress", progress, "r", job_id)
    open_conflict(db, set_id.campaign_set_id, "Edited on Reddit")


@pytest.mark.skipif(shutil.which("schemathesis") is None, reason="schemathesis CLI not installed")
def test_no_server_errors_and_responses_match_the_schema(
    api: RunningApi, api_db: Database, api_key: str
):
    seed(api_db)
    command = [
        shutil.which("schemathesis") or sys.executable,
        "run",
        f"{api.base_url}/openapi.json",
        "--header",
        f"Authorization: Bearer {api_key}",
        "--checks",
        "not_a_server_error,response_schema_conformance",
        "--max-examples",
        "20",
        "--seed",
        "7",
        "--exclude-path-regex",
        "sync-stream",
        "--request-timeout",
        "10",
        "--no-color",
    ]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout[-6000:] + done.stderr[-2000:]

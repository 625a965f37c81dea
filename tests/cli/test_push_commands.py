"""`adsync plan`, `sync`, `audit`: what a person reads after pushing to the sandbox."""

from __future__ import annotations

import json
from pathlib import Path

from adsync_pipeline.store.campaign_sets import CampaignSetRepository
from adsync_pipeline.store.db import Database
from tests.cli.conftest import EXAMPLE


def edited_example(tmp_path: Path) -> Path:
    doc = json.loads(EXAMPLE.read_text())
    shoes = doc["campaigns"][0]
    shoes["name"] = "Summer Sale - Sneakers"
    shoes["budget"]["amount"] = 75
    path = tmp_path / "edited.json"
    path.write_text(json.dumps(doc))
    return path


def test_plan_names_the_fields_changed_since_the_last_push(
    adsync, pushed_set: int, tmp_path: Path
) -> None:
    assert adsync("import", str(edited_example(tmp_path))).code == 0

    text = adsync("plan", str(pushed_set))
    shown = json.loads(adsync("plan", str(pushed_set), "--json").out)

    assert text.code == 0, text.err
    assert "Plan for 'Summer Sale 2026': 1 write operation\n" in text.out
    (update,) = [op for op in shown["operations"] if op["op"] == "update"]
    assert (update["key"], update["changed_fields"]) == ("shoes", ["name", "budget.amount"])
    assert update["reason"] == "name, budget.amount changed since the last push"
    line = next(line for line in text.out.splitlines() if line.startswith("update"))
    assert line.endswith("name, budget.amount changed since the last push")


def test_plan_tables_have_headers(adsync, env_db: str) -> None:
    set_id = json.loads(adsync("import", str(EXAMPLE), "--json").out)["campaign_set_id"]

    lines = adsync("plan", str(set_id)).out.splitlines()

    assert lines[0] == "Plan for 'Summer Sale 2026': 8 write operations"
    assert lines[2].split() == ["level", "create", "update", "pause", "resume", "delete",
                                "noop", "skip"]  # fmt: skip
    assert lines[3].split() == ["campaign", "2", "0", "0", "0", "0", "0", "0"]
    assert lines[8].split() == ["operation", "entity", "key", "name", "platform", "id", "why"]
    assert lines[9].split()[:3] == ["create", "campaign", "shoes"]
    assert lines[9].endswith("not on the platform yet")


def test_sync_now_summary_agrees_in_number(adsync, connected: dict, tmp_path: Path) -> None:
    set_id = json.loads(adsync("import", str(EXAMPLE), "--json").out)["campaign_set_id"]
    adsync("sync", str(set_id), "--now")
    assert adsync("import", str(edited_example(tmp_path))).code == 0

    again = adsync("sync", str(set_id), "--now")

    assert again.code == 0, again.err
    # The rename is one PATCH of the campaign; the budget, one per ad group (its share).
    assert "1 synced, 0 failed, 0 skipped, 7 unchanged; 2 API calls, 0 rate-limited, " in again.out
    assert "0 retries" in again.out
    nothing = adsync("sync", str(set_id), "--now")
    assert "0 API calls" in nothing.out


def test_audit_shows_runs_then_calls_as_tables(adsync, pushed_set: int) -> None:
    lines = adsync("audit", str(pushed_set)).out.splitlines()

    assert lines[0] == "runs (1):"
    assert lines[1].split()[:6] == ["started", "run", "kind", "trigger", "status", "synced"]
    assert lines[2].split()[3:9] == ["push", "cli", "succeeded", "8", "0", "0"]
    # Keywords go with their ad group's create: 2 campaigns, 2 groups, 2 posts, 2 ads.
    calls = lines.index("platform calls (8):")
    assert lines[calls + 1].split()[:4] == ["time", "run", "operation", "entity"]
    assert lines[calls + 2].split()[3:6] == ["create", "campaign", "shoes"]
    assert len(lines) == calls + 2 + 8


def test_audit_of_an_unknown_run_or_set_is_an_error(adsync, pushed_set: int) -> None:
    run_id = json.loads(adsync("audit", str(pushed_set), "--json").out)["runs"][0]["run_id"]
    assert adsync("audit", str(pushed_set), "--run", run_id).code == 0

    unknown_run = adsync("audit", str(pushed_set), "--run", "nope")
    unknown_set = adsync("audit", "4242", "--run", run_id)

    assert unknown_run.code == 1 and unknown_run.out == ""
    assert unknown_run.err == f"error: run 'nope' has no record for campaign set {pushed_set}\n"
    assert unknown_set.code == 1
    assert unknown_set.err == "error: campaign set 4242 not found\n"


def test_an_archived_set_cannot_be_synced(adsync, env_db: str) -> None:
    set_id = json.loads(adsync("import", str(EXAMPLE), "--json").out)["campaign_set_id"]
    db = Database.from_url(env_db)
    try:
        CampaignSetRepository(db).archive(set_id)
    finally:
        db.dispose()

    for args in (("sync", str(set_id)), ("sync", str(set_id), "--now")):
        outcome = adsync(*args)
        assert outcome.code == 1
        assert outcome.err.startswith(f"error: campaign set {set_id} is archived")
        assert len(outcome.err.splitlines()) == 1
    assert json.loads(adsync("status", str(set_id), "--json").out)["latest_sync_request"] is None


def test_audit_names_why_a_run_failed(adsync, env_db: str, sandbox_env: None) -> None:
    set_id = json.loads(adsync("import", str(EXAMPLE), "--json").out)["campaign_set_id"]
    assert adsync("sync", str(set_id), "--now").code == 1  # its account is not connected

    lines = adsync("audit", str(set_id)).out.splitlines()

    assert lines[1].split()[-1] == "cause"
    assert lines[2].split()[5] == "failed"  # started (date, time), run, kind, trigger, status
    assert f"ad account t2_sandbox01 of campaign set {set_id} is not connected" in lines[2]

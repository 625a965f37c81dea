"""`adsync sync|plan|pause|resume|retry|audit`: pushing a set and reading what happened."""

from __future__ import annotations

import getpass
import sys
from typing import Any

import click

from adsync_pipeline.cli.base import cli, emit_json
from adsync_pipeline.domain.model import EntityStatus
from adsync_pipeline.domain.plan import format_plan, make_plan
from adsync_pipeline.store.campaign_sets import CampaignSetRepository
from adsync_pipeline.store.db import Database
from adsync_pipeline.store.migrate import upgrade_database
from adsync_pipeline.store.models import utcnow
from adsync_pipeline.store.sync_log import SyncLogRepository
from adsync_pipeline.sync.push import PushOptions
from adsync_pipeline.sync.requests import request_sync
from adsync_pipeline.sync.results import EntityOutcome, PushResult
from adsync_pipeline.sync.runner import run_push


def _database() -> Database:
    upgrade_database()
    return Database.from_url()


class _Progress:
    """One self-rewriting status line on a terminal; silent when piped or with --json."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self.counts: dict[str, int] = {}

    def __call__(self, done: int, total: int, outcome: EntityOutcome) -> None:
        if not self.enabled:
            return
        self.counts[outcome.status] = self.counts.get(outcome.status, 0) + 1
        tally = ", ".join(f"{n} {status}" for status, n in sorted(self.counts.items()))
        width = 30
        filled = width * done // max(total, 1)
        bar = "#" * filled + "-" * (width - filled)
        click.echo(f"\r[{bar}] {done}/{total} {tally}", nl=False, err=True)
        if done == total:
            click.echo("", err=True)


def _print_result(result: PushResult, as_json: bool) -> None:
    if as_json:
        emit_json(result.to_dict())
        return
    if result.refused:
        click.echo(f"refused: {result.refused}")
        return
    click.echo(
        f"run {result.run_id}: {result.synced} synced, {result.failed} failed, "
        f"{result.skipped} skipped, {result.noop} unchanged; {result.api_calls} API calls, "
        f"{result.rate_limited} rate-limited, {result.retries} retries, {result.duration_s} s"
    )
    for outcome in result.outcomes:
        if outcome.status in ("failed", "skipped"):
            click.echo(f"  {outcome.status:<8} {outcome.entity} {outcome.key}: {outcome.message}")


def _exit_code(result: PushResult) -> int:
    return 1 if result.failed or result.refused else 0


def _push(set_id: int, as_json: bool, **kwargs: Any) -> None:
    db = _database()
    progress = _Progress(enabled=not as_json and sys.stderr.isatty())
    result = run_push(db, set_id, on_progress=progress, **kwargs)
    _print_result(result, as_json)
    sys.exit(_exit_code(result))


@cli.command("sync")
@click.argument("set_id", type=int)
@click.option("--now", is_flag=True, help="Push here and now instead of queueing for Dagster.")
@click.option("--concurrency", default=8, show_default=True, type=click.IntRange(1, 64))
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def sync_command(set_id: int, now: bool, concurrency: int, as_json: bool) -> None:
    """Push campaign set SET_ID: queue it for the Dagster sensor, or run it with --now."""
    if now:
        _push(set_id, as_json, options=PushOptions(concurrency=concurrency), trigger="cli")
        return
    request_id = request_sync(_database(), set_id, requested_by=getpass.getuser(), trigger="cli")
    if as_json:
        emit_json({"request_id": request_id, "campaign_set_id": set_id, "status": "queued"})
    else:
        click.echo(
            f"sync request {request_id} queued for set {set_id}; the Dagster sensor "
            "`pending_campaign_sets` launches it (see `adsync status`)."
        )


@cli.command("plan")
@click.argument("set_id", type=int)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def plan_command(set_id: int, as_json: bool) -> None:
    """Show what a push of SET_ID would do, touching nothing."""
    plan = make_plan(CampaignSetRepository(_database()).load(set_id), utcnow())
    if not as_json:
        click.echo(format_plan(plan))
        return
    emit_json(
        {
            "campaign_set_id": set_id,
            "writes": len(plan.writes),
            "counts": {
                t.value: {k.value: n for k, n in per.items() if n}
                for t, per in plan.counts().items()
            },
            "operations": [
                {
                    "op": op.op.value,
                    "entity": op.entity_type.value,
                    "key": "/".join(op.key_path),
                    "name": op.name,
                    "platform_id": op.platform_id,
                    "reason": op.reason,
                }
                for op in plan.ops
            ],
        }
    )


def _status_command(name: str, target: EntityStatus, help_text: str) -> None:
    @cli.command(name, help=help_text)
    @click.argument("set_id", type=int)
    @click.option("--json", "as_json", is_flag=True, help="Print JSON.")
    def command(set_id: int, as_json: bool) -> None:
        _push(set_id, as_json, status=target, trigger=f"cli-{name}")


_status_command("pause", EntityStatus.PAUSED, "Pause every campaign of SET_ID on the platform.")
_status_command("resume", EntityStatus.ACTIVE, "Resume every campaign of SET_ID on the platform.")


@cli.command("retry")
@click.argument("set_id", type=int)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def retry_command(set_id: int, as_json: bool) -> None:
    """Push SET_ID now, including entities that gave up after 3 attempts."""
    options = PushOptions(force=True, include_given_up=True)
    _push(set_id, as_json, options=options, trigger="cli-retry")


@cli.command("audit")
@click.argument("set_id", type=int)
@click.option("--run", "run_id", help="Only this run id (a Dagster run id or adsync-...).")
@click.option("--limit", default=50, show_default=True, type=click.IntRange(1, 10000))
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def audit_command(set_id: int, run_id: str | None, limit: int, as_json: bool) -> None:
    """Show the runs of SET_ID with their totals, then its platform calls, newest last."""
    db = _database()
    CampaignSetRepository(db).get_header(set_id)
    log = SyncLogRepository(db)
    runs = log.runs(set_id, run_id=run_id, limit=limit)
    calls = log.audit_rows(campaign_set_id=set_id, run_id=run_id, limit=limit)
    if as_json:
        emit_json({"runs": runs, "calls": calls})
        return
    if not runs and not calls:
        click.echo(f"no runs or platform calls recorded for set {set_id}")
        return
    click.echo("runs:")
    for run in runs:
        click.echo(
            f"  {run['started_at']:%Y-%m-%d %H:%M:%S} {run['run_id']} {run['kind']} "
            f"{run['trigger'] or '-'} {run['status']}: {run['synced']} synced, "
            f"{run['failed']} failed, {run['skipped']} skipped, {run['api_calls']} API calls, "
            f"{run['rate_limited']} rate-limited, {run['retries']} retries"
            + (f" ({run['summary']['refused']})" if (run["summary"] or {}).get("refused") else "")
        )
    click.echo("calls:")
    for row in calls:
        status = row["http_status"] if row["http_status"] is not None else "-"
        click.echo(
            f"  {row['created_at']:%Y-%m-%d %H:%M:%S} {row['run_id']} {row['operation']:<7} "
            f"{row['entity_type'] or '-'} {row['entity_key'] or '-'} {row['method']} "
            f"{row['path']} {status} {row['latency_ms']}ms {row['outcome']}"
            + (f" {row['error']}" if row["error"] else "")
        )

"""`adsync sync|plan|pause|resume|retry|audit`: pushing a set and reading what happened."""

from __future__ import annotations

import getpass
import sys
from typing import Any

import click

from adsync_pipeline.cli.base import UserError, cli, emit_json
from adsync_pipeline.cli.tables import plural, table
from adsync_pipeline.domain.model import EntityStatus, SetStatus
from adsync_pipeline.domain.plan import OpKind, Plan, make_plan
from adsync_pipeline.errors import NotFoundError
from adsync_pipeline.store.campaign_sets import CampaignSetRepository
from adsync_pipeline.store.db import Database
from adsync_pipeline.store.migrate import upgrade_database
from adsync_pipeline.store.models import utcnow
from adsync_pipeline.store.sync_log import SyncLogRepository
from adsync_pipeline.sync.push import PushOptions
from adsync_pipeline.sync.requests import queue_push
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


def push_summary(result: PushResult) -> str:
    """One line of a push's totals, e.g. for `sync --now`, `retry`, `pause`."""
    return (
        f"run {result.run_id}: {result.synced} synced, {result.failed} failed, "
        f"{result.skipped} skipped, {result.noop} unchanged; "
        f"{plural(result.api_calls, 'API call')}, {result.rate_limited} rate-limited, "
        f"{plural(result.retries, 'retry', 'retries')}, {result.duration_s} s"
    )


def _print_result(result: PushResult, as_json: bool) -> None:
    if as_json:
        emit_json(result.to_dict())
        return
    if result.refused:
        click.echo(f"refused: {result.refused}")
        return
    click.echo(push_summary(result))
    unfinished = [o for o in result.outcomes if o.status in ("failed", "skipped")]
    if unfinished:
        click.echo("")
        rows = [(o.status, o.entity, o.key, o.message) for o in unfinished]
        click.echo(table(("status", "entity", "key", "why"), rows))


def _exit_code(result: PushResult) -> int:
    return 1 if result.failed or result.refused else 0


def _push(set_id: int, as_json: bool, **kwargs: Any) -> None:
    db = _database()
    progress = _Progress(enabled=not as_json and sys.stderr.isatty())
    result = run_push(db, set_id, on_progress=progress, **kwargs)
    _print_result(result, as_json)
    sys.exit(_exit_code(result))


def _live_set(db: Database, set_id: int) -> None:
    """An archived set's entities are all marked removed, and the removal push that archiving
    queued is its last: a sync of it would only repeat that."""
    header = CampaignSetRepository(db).get_header(set_id)
    if header.status is SetStatus.ARCHIVED:
        raise UserError(
            f"campaign set {set_id} is archived: its removal from the platform was queued "
            "when it was archived, and it cannot be synced again"
        )


@cli.command("sync")
@click.argument("set_id", type=int)
@click.option("--now", is_flag=True, help="Push here and now instead of queueing for Dagster.")
@click.option("--concurrency", default=8, show_default=True, type=click.IntRange(1, 64))
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def sync_command(set_id: int, now: bool, concurrency: int, as_json: bool) -> None:
    """Push campaign set SET_ID: queue it for the Dagster sensor, or run it with --now."""
    db = _database()
    _live_set(db, set_id)
    if now:
        _push(set_id, as_json, options=PushOptions(concurrency=concurrency), trigger="cli")
        return
    queued = queue_push(db, set_id, requested_by=getpass.getuser(), trigger="cli")
    if as_json:
        emit_json(
            {
                "request_id": queued.id,
                "campaign_set_id": set_id,
                "status": "queued",
                "coalesced": queued.coalesced,
            }
        )
    elif queued.coalesced:
        click.echo(
            f"set {set_id} is already queued as request {queued.id}, not launched yet; "
            "that request pushes the set as it is now."
        )
    else:
        click.echo(
            f"sync request {queued.id} queued for set {set_id}; the Dagster sensor "
            "`pending_campaign_sets` launches it (see `adsync status`)."
        )


OP_KINDS = list(OpKind)


def format_plan(plan: Plan) -> str:
    """The plan's counts per level, then one row per entity with what and why."""
    counts = table(
        ("level", *(kind.value for kind in OP_KINDS)),
        [
            (entity_type.value, *(per_kind[kind] for kind in OP_KINDS))
            for entity_type, per_kind in plan.counts().items()
        ],
    )
    ops = table(
        ("operation", "entity", "key", "name", "platform id", "why"),
        [
            (op.op.value, op.entity_type.value, "/".join(op.key_path), op.name, op.platform_id,
             op.reason)
            for op in plan.ops
        ],
    )  # fmt: skip
    title = f"Plan for {plan.set_name!r}: {plural(len(plan.writes), 'write operation')}"
    return "\n\n".join([title, counts, ops])


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
                    "changed_fields": op.changed_fields,
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
_status_command(
    "resume",
    EntityStatus.ACTIVE,
    "Resume every campaign of SET_ID on the platform. Each returns to the status its file "
    "authors: one authored as paused stays paused.",
)


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
    if run_id is not None and not runs and not calls:
        raise NotFoundError(f"run {run_id!r} has no record for campaign set {set_id}")
    if as_json:
        emit_json({"runs": runs, "calls": calls})
        return
    if not runs and not calls:
        click.echo(f"no runs or platform calls recorded for set {set_id}")
        return
    click.echo(f"runs ({len(runs)}):")
    click.echo(table(RUN_HEADERS, [_run_row(run) for run in runs]))
    click.echo("")
    click.echo(f"platform calls ({len(calls)}):")
    click.echo(table(CALL_HEADERS, [_call_row(row) for row in calls]))


RUN_HEADERS = (
    "started", "run", "kind", "trigger", "status", "synced", "failed", "skipped", "API calls",
    "rate-limited", "retries", "cause",
)  # fmt: skip
CALL_HEADERS = (
    "time", "run", "operation", "entity", "key", "method", "path", "status", "latency ms",
    "outcome", "error",
)  # fmt: skip


def _run_row(run: dict[str, Any]) -> tuple[object, ...]:
    return (
        run["started_at"], run["run_id"], run["kind"], run["trigger"], run["status"],
        run["synced"], run["failed"], run["skipped"], run["api_calls"], run["rate_limited"],
        run["retries"], _cause(run["summary"] or {}),
    )  # fmt: skip


def _cause(summary: dict[str, Any]) -> str | None:
    # Runs recorded before causes were kept carry only why they were refused.
    return summary.get("cause") or summary.get("refused")


def _call_row(row: dict[str, Any]) -> tuple[object, ...]:
    return (
        row["created_at"], row["run_id"], row["operation"], row["entity_type"],
        row["entity_key"], row["method"], row["path"], row["http_status"], row["latency_ms"],
        row["outcome"], row["error"],
    )  # fmt: skip

"""`adsync reconcile`: pull platform-side changes now (the 15-minute schedule does it too)."""

from __future__ import annotations

from typing import Any

import click

from adsync_pipeline.cli.base import cli, emit_json
from adsync_pipeline.cli.tables import plural, table
from adsync_pipeline.store.migrate import migrated_database
from adsync_pipeline.sync.reconcile import (
    ReconcileResult,
    connected_accounts,
    new_run_id,
    reconcile_account,
)


@cli.command("reconcile")
@click.option("--account", "account", help="Platform account id (t2_...); default: every one.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def reconcile_command(account: str | None, as_json: bool) -> None:
    """Snapshot connected ad accounts, pull platform edits, flag conflicts."""
    db = migrated_database()
    try:
        run_id = new_run_id()
        accounts = [account] if account else [a.platform_account_id for a in connected_accounts(db)]
        results = [reconcile_account(db, account_id, run_id) for account_id in accounts]
    finally:
        db.dispose()
    if as_json:
        emit_json([result.to_dict() for result in results])
        return
    if not results:
        click.echo("no connected ad accounts")
    for result in results:
        click.echo(_summary(result))
        if result.push_requests:
            requests = ", ".join(map(str, result.push_requests))
            queued = plural(len(result.push_requests), "sync request")
            click.echo(f"queued {queued} ({requests}) for merged local edits")
        if result.rejected:
            click.echo("")
            rows = [(r["entity_type"], r["platform_id"], r["reason"]) for r in result.rejected]
            click.echo(table(("rejected", "platform id", "reason"), rows))
        if result.changes:
            click.echo("")
            click.echo(table(CHANGE_HEADERS, [_change_row(change) for change in result.changes]))


CHANGE_HEADERS = ("outcome", "entity", "key", "platform id", "pulled", "conflicts")


def _change_row(change: dict[str, Any]) -> tuple[object, ...]:
    return (
        change["outcome"],
        change["entity_type"],
        change["key"],
        change["platform_id"],
        ", ".join(change["pulled"]),
        ", ".join(change["conflicts"]),
    )


def _summary(result: ReconcileResult) -> str:
    return (
        f"{result.platform} {result.ad_account_id}: {result.fetched} fetched in "
        f"{plural(result.list_calls, 'list call')} (+{result.other_calls} other); "
        f"{result.unchanged} unchanged, {result.local_only} local-only, {result.pulled} pulled, "
        f"{result.merged} merged, {plural(result.conflicts, 'new conflict')} "
        f"({result.deleted_on_platform} deleted on platform); {result.duration_s:.2f} s"
    )

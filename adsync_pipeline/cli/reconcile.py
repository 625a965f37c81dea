"""`adsync reconcile`: pull platform-side changes now (the 15-minute schedule does it too)."""

from __future__ import annotations

import click

from adsync_pipeline.cli.base import cli, emit_json
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
        for rejected in result.rejected:
            click.echo(
                f"  rejected  {rejected['entity_type']:<9} [{rejected['platform_id']}] "
                f"{rejected['reason']}"
            )
        if result.push_requests:
            click.echo(f"  queued sync request(s) {result.push_requests} for merged local edits")
        for change in result.changes:
            fields = ", ".join(change["pulled"]) or "-"
            conflicts = ", ".join(change["conflicts"]) or "-"
            click.echo(
                f"  {change['outcome']:<9} {change['entity_type']:<9} {change['key']} "
                f"[{change['platform_id']}] pulled: {fields}; conflicts: {conflicts}"
            )


def _summary(result: ReconcileResult) -> str:
    return (
        f"{result.platform} {result.ad_account_id}: {result.fetched} fetched in "
        f"{result.list_calls} list call(s) (+{result.other_calls} other); "
        f"{result.unchanged} unchanged, {result.local_only} local-only, {result.pulled} pulled, "
        f"{result.merged} merged, {result.conflicts} new conflict(s) "
        f"({result.deleted_on_platform} deleted on platform); {result.duration_s:.2f} s"
    )

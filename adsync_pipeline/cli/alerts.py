"""`adsync alerts`: what went wrong that a person should look at."""

from __future__ import annotations

import click

from adsync_pipeline.cli.base import cli, emit_json
from adsync_pipeline.cli.tables import table
from adsync_pipeline.store.alerts import AlertRepository
from adsync_pipeline.store.migrate import migrated_database
from adsync_pipeline.sync.alerts import ALERT_KINDS

HEADERS = ("id", "raised", "kind", "set", "delivered", "cause")


@cli.command("alerts")
@click.option("--limit", default=50, show_default=True, type=click.IntRange(1, 10_000))
@click.option("--kind", type=click.Choice(ALERT_KINDS), help="Only alerts of this kind.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def alerts_command(limit: int, kind: str | None, as_json: bool) -> None:
    """List alerts, newest first. Each names its cause: the run, entity or account, and why."""
    db = migrated_database()
    try:
        found = AlertRepository(db).list(limit=limit, kind=kind)
    finally:
        db.dispose()
    if as_json:
        emit_json([alert.to_dict() for alert in found])
        return
    if not found:
        click.echo(f"no {kind} alerts" if kind else "no alerts")
        return
    rows = [
        (
            alert.id,
            alert.created_at,
            alert.kind,
            alert.campaign_set_id,
            "yes" if alert.delivered_at else "no",
            alert.message,
        )
        for alert in found
    ]
    click.echo(table(HEADERS, rows))

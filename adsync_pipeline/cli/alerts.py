"""`adsync alerts`: what went wrong that a person should look at."""

from __future__ import annotations

import click

from adsync_pipeline.cli.base import cli, emit_json
from adsync_pipeline.store.alerts import AlertRepository
from adsync_pipeline.store.migrate import migrated_database


@cli.command("alerts")
@click.option("--limit", default=50, show_default=True, type=click.IntRange(1, 10_000))
@click.option("--kind", help="Only this kind (run_failed, entity_gave_up, breaker_opened).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def alerts_command(limit: int, kind: str | None, as_json: bool) -> None:
    """List alerts, newest first."""
    db = migrated_database()
    try:
        found = AlertRepository(db).list(limit=limit, kind=kind)
    finally:
        db.dispose()
    if as_json:
        emit_json([alert.to_dict() for alert in found])
        return
    if not found:
        click.echo("no alerts")
    for alert in found:
        delivered = "delivered" if alert.delivered_at else "-"
        set_part = f"set {alert.campaign_set_id}" if alert.campaign_set_id else "-"
        click.echo(
            f"{alert.id}\t{alert.created_at:%Y-%m-%d %H:%M:%S}\t{alert.kind}\t{set_part}\t"
            f"{delivered}\t{alert.message}"
        )

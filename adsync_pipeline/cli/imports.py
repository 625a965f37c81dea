"""`adsync import PATH`: create or update a campaign set from a JSON or CSV file."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path

import click

from adsync_pipeline.cli.base import cli, emit_json
from adsync_pipeline.imports import read_campaign_set
from adsync_pipeline.store.campaign_sets import CampaignSetRepository
from adsync_pipeline.store.migrate import migrated_database


@cli.command("import")
@click.argument("path", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
def import_command(path: Path, as_json: bool) -> None:
    """Import a campaign set; re-importing one (same name and ad account) updates it."""
    # Validation comes first: a rejected file never opens, let alone changes, the store.
    doc = read_campaign_set(path)
    db = migrated_database()
    try:
        result = CampaignSetRepository(db).import_set(doc)
    finally:
        db.dispose()
    if as_json:
        emit_json({**asdict(result), "changed": result.changed})
        return
    verb = "created" if result.created else ("updated" if result.changed else "unchanged")
    counts = ", ".join(f"{n} {level.replace('_', ' ')}" for level, n in result.counts.items())
    click.echo(
        f"campaign set {result.campaign_set_id} {verb} (revision {result.revision}): {counts}"
    )
    if not result.created:
        click.echo(
            f"  {result.added} added, {result.updated} updated, "
            f"{result.removed} marked for removal, {result.unchanged} unchanged"
        )

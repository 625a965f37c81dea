"""`adsync import PATH`: create or update a campaign set from a JSON or CSV file."""

from __future__ import annotations

import shlex
import sys
from dataclasses import asdict
from pathlib import Path
from typing import NoReturn

import click

from adsync_pipeline.cli.base import cli, emit_json
from adsync_pipeline.cli.tables import level_counts
from adsync_pipeline.domain.pulled import PulledFieldsReverted
from adsync_pipeline.imports import read_campaign_set
from adsync_pipeline.store.migrate import migrated_database
from adsync_pipeline.sync.imports import import_document


@cli.command("import")
@click.argument("path", type=click.Path(path_type=Path, dir_okay=False))
@click.option(
    "--force",
    is_flag=True,
    help="Import even where the file sets back values pulled from the platform; the next "
    "push sends the file's values.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
def import_command(path: Path, force: bool, as_json: bool) -> None:
    """Import a campaign set; re-importing one (same name and ad account) updates it.

    A re-import that would undo values reconcile pulled from the platform (an Ads Manager
    rename, a keyword added there) is refused and lists them; --force imports it anyway."""
    # Validation comes first: a rejected file never opens, let alone changes, the store.
    doc = read_campaign_set(path)
    db = migrated_database()
    try:
        result = import_document(db, doc, force=force)
    except PulledFieldsReverted as refused:
        _refuse(path, refused, as_json)
    finally:
        db.dispose()
    if as_json:
        emit_json({**asdict(result), "changed": result.changed})
        return
    verb = "created" if result.created else ("updated" if result.changed else "unchanged")
    click.echo(
        f"campaign set {result.campaign_set_id} {verb} (revision {result.revision}): "
        f"{level_counts(result.counts)}"
    )
    if not result.created:
        click.echo(
            f"  {result.added} added, {result.updated} updated, "
            f"{result.removed} marked for removal, {result.unchanged} unchanged"
        )


def _refuse(path: Path, refused: PulledFieldsReverted, as_json: bool) -> NoReturn:
    confirm = f"adsync import {shlex.quote(str(path))} --force"
    if as_json:
        emit_json(
            {
                "imported": False,
                "reverts": [revert.to_dict() for revert in refused.reverts],
                "confirm": confirm,
            }
        )
    else:
        click.echo(
            f"error: {refused}\nTo send the file's values to the platform anyway: {confirm}",
            err=True,
        )
    sys.exit(refused.exit_code)

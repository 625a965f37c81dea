"""`adsync db ...`: the local store's schema."""

from __future__ import annotations

import click

from adsync_pipeline.cli.base import cli, emit_json
from adsync_pipeline.store.migrate import shown_url, upgrade_database


@cli.group("db")
def db_group() -> None:
    """The local campaign store."""


@db_group.command("upgrade")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
def upgrade_command(as_json: bool) -> None:
    """Create or migrate the store's schema to the latest version (safe to repeat)."""
    upgrade_database()
    shown = shown_url()
    if as_json:
        emit_json({"database": shown, "upgraded": True})
    else:
        click.echo(f"database at {shown} is up to date")

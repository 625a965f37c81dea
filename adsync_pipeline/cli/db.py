"""`adsync db ...`: the local store's schema."""

from __future__ import annotations

import click
from sqlalchemy.engine import make_url

from adsync_pipeline.cli.base import cli, emit_json
from adsync_pipeline.config import database_url
from adsync_pipeline.store.migrate import upgrade_database


@cli.group("db")
def db_group() -> None:
    """The local campaign store."""


@db_group.command("upgrade")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
def upgrade_command(as_json: bool) -> None:
    """Create or migrate the store's schema to the latest version (safe to repeat)."""
    upgrade_database()
    shown = make_url(database_url()).render_as_string(hide_password=True)
    if as_json:
        emit_json({"database": shown, "upgraded": True})
    else:
        click.echo(f"database at {shown} is up to date")

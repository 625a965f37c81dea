"""`adsync dev`: Dagster's UI and daemon on the local setup, with nothing to export."""

from __future__ import annotations

import os
import shutil

import click

from adsync_pipeline.cli.base import UserError, cli


@cli.command("dev", context_settings={"ignore_unknown_options": True})
@click.argument("dagster_args", nargs=-1, type=click.UNPROCESSED)
def dev(dagster_args: tuple[str, ...]) -> None:
    """Run `dagster dev` on adsync's home and code location.

    Extra arguments go to `dagster dev`: `adsync dev -p 3001`, say.
    """
    from adsync_pipeline.local_config import existing_home
    from adsync_pipeline.sync.demo import WORKSPACE_FILE, prepare_home

    existing_home()  # refuses to start on a new, empty home: run `adsync demo` first
    home = prepare_home()
    dagster = shutil.which("dagster")
    if dagster is None:
        raise UserError("the `dagster` command is not on PATH: reinstall adsync")
    click.echo(f"DAGSTER_HOME={home}", err=True)
    os.execv(dagster, [dagster, "dev", "-w", str(home / WORKSPACE_FILE), *dagster_args])

"""The `adsync` command line: one module per command group, registered here."""

from __future__ import annotations

import sys

import click

from adsync_pipeline.cli.base import cli
from adsync_pipeline.errors import AdsyncError


def _register() -> None:
    # Imported for their side effect of attaching commands to `cli`.
    from adsync_pipeline.cli import (  # noqa: F401
        accounts,
        alerts,
        api,
        conflicts,
        db,
        demo,
        imports,
        reconcile,
        sandbox,
        sets,
        status,
        sync,
    )


def main() -> None:
    _register()
    try:
        cli.main(standalone_mode=False)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except click.exceptions.Abort:
        click.echo("Aborted.", err=True)
        sys.exit(1)
    except AdsyncError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(exc.exit_code)

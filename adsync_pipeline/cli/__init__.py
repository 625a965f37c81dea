"""The `adsync` command line: one module per command group, each imported when its command
runs (see `base.COMMANDS`), so starting adsync costs only click."""

from __future__ import annotations

import importlib
import pkgutil
import sys

import click

from adsync_pipeline.cli.base import cli
from adsync_pipeline.errors import AdsyncError


def _register() -> None:
    """Import every module of this package, attaching all commands to `cli` at once (for
    tests that look commands up in `cli.commands`)."""
    for module in pkgutil.iter_modules(__path__):
        importlib.import_module(f"{__name__}.{module.name}")


def main() -> None:
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

"""The root click group and the pieces every command shares."""

from __future__ import annotations

import json
from typing import Any

import click

from adsync_pipeline.errors import AdsyncError


class UserError(AdsyncError):
    """A command-line usage problem the command itself detects."""


@click.group()
@click.version_option(package_name="adsync")
def cli() -> None:
    """adsync: push ad campaign sets to ad platforms and keep them in sync."""


def emit_json(payload: Any) -> None:
    click.echo(json.dumps(payload, indent=2, sort_keys=True, default=str))

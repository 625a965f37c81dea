"""The root click group and the pieces every command shares."""

from __future__ import annotations

import json
from typing import Any

import click

from adsync_pipeline.cli.lazy import LazyCommand, LazyGroup
from adsync_pipeline.errors import AdsyncError


class UserError(AdsyncError):
    """A command-line usage problem the command itself detects."""


def _in(module: str, short_help: str) -> LazyCommand:
    return LazyCommand(f"adsync_pipeline.cli.{module}", short_help)


# Every command, the module that defines it, and the first sentence of its help (what the
# root help shows). tests/install/test_lazy_cli.py checks this table against the modules.
COMMANDS: dict[str, LazyCommand] = {
    "accounts": _in("accounts", "Ad account connections (OAuth tokens are stored encrypted)."),
    "alerts": _in("alerts", "List alerts, newest first."),
    "api": _in("api", "The HTTP API (for apps such as the campaign builder)."),
    "audit": _in(
        "sync", "Show the runs of SET_ID with their totals, then its platform calls, newest last."
    ),
    "conflicts": _in("conflicts", "Fields changed both locally and on the platform."),
    "db": _in("db", "The local campaign store."),
    "dev": _in("dev", "Run `dagster dev` on adsync's home and code location."),
    "demo": _in("demo", "Push the example campaign set to a local Reddit sandbox through Dagster."),
    "import": _in(
        "imports",
        "Import a campaign set; re-importing one (same name and ad account) updates it.",
    ),
    "keys": _in("keys", "The key that encrypts stored OAuth tokens (ADSYNC_ENCRYPTION_KEY)."),
    "pause": _in("sync", "Pause every campaign of SET_ID on the platform."),
    "plan": _in("sync", "Show what a push of SET_ID would do, touching nothing."),
    "reconcile": _in(
        "reconcile", "Snapshot connected ad accounts, pull platform edits, flag conflicts."
    ),
    "resume": _in("sync", "Resume every campaign of SET_ID on the platform."),
    "retry": _in("sync", "Push SET_ID now, including entities that gave up after 3 attempts."),
    "sandbox": _in("sandbox", "Local emulators of ad platform APIs, for development and tests."),
    "sets": _in("sets", "Campaign sets."),
    "status": _in(
        "status", "Show a campaign set as a tree: status, sync status, platform id and last error."
    ),
    "sync": _in(
        "sync", "Push campaign set SET_ID: queue it for the Dagster sensor, or run it with --now."
    ),
}


@click.group(cls=LazyGroup, lazy_commands=COMMANDS)
@click.version_option(package_name="adsync")
def cli() -> None:
    """adsync: push ad campaign sets to ad platforms and keep them in sync."""


def emit_json(payload: Any) -> None:
    click.echo(json.dumps(payload, indent=2, sort_keys=True, default=str))

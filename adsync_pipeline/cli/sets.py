"""`adsync sets ...`: the campaign sets in the store."""

from __future__ import annotations

from dataclasses import asdict

import click

from adsync_pipeline.cli.base import cli, emit_json
from adsync_pipeline.cli.tables import table
from adsync_pipeline.store.campaign_sets import CampaignSetRepository
from adsync_pipeline.store.migrate import migrated_database


@cli.group("sets")
def sets_group() -> None:
    """Campaign sets."""


@sets_group.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
def list_command(as_json: bool) -> None:
    """Every campaign set, with its status and entity counts (removed entities excluded)."""
    db = migrated_database()
    try:
        summaries = CampaignSetRepository(db).list()
    finally:
        db.dispose()
    if as_json:
        emit_json([asdict(s) for s in summaries])
        return
    if not summaries:
        click.echo("no campaign sets yet: adsync import PATH")
        return
    rows = [
        (
            s.id, s.name, s.platform, s.ad_account_id, s.status.value, s.sync_status.value,
            s.revision, s.campaigns, s.ad_groups, s.ads, s.keywords, s.last_synced_at or "never",
            f"UNREADABLE: {s.unreadable}" if s.unreadable else None,
        )
        for s in summaries
    ]  # fmt: skip
    click.echo(table(HEADERS, rows))


HEADERS = (
    "id", "name", "platform", "ad account", "status", "sync status", "revision", "campaigns",
    "ad groups", "ads", "keywords", "last synced", "problem",
)  # fmt: skip

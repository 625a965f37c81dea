"""`adsync sets ...`: the campaign sets in the store."""

from __future__ import annotations

from dataclasses import asdict

import click

from adsync_pipeline.cli.base import cli, emit_json
from adsync_pipeline.domain.text import printable
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
    for s in summaries:
        synced = s.last_synced_at.isoformat() if s.last_synced_at else "never"
        # Stored names may hold control characters (an old store, another tool): escaped,
        # so no name can forge a line.
        name, account = printable(s.name), printable(s.ad_account_id)
        unreadable = f"  UNREADABLE: {s.unreadable}" if s.unreadable else ""
        click.echo(
            f"{s.id:>4}  {name}  [{s.platform} {account}]  {s.status}/{s.sync_status}"
            f"  rev {s.revision}  {s.campaigns} campaigns, {s.ad_groups} ad groups, {s.ads} ads,"
            f" {s.keywords} keywords  last synced {synced}{unreadable}"
        )

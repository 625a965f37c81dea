"""`adsync demo`: the whole path on one machine with nothing configured, in under a minute."""

from __future__ import annotations

import getpass
import sys
import time
from pathlib import Path
from typing import Any

import click

from adsync_pipeline.cli.base import cli
from adsync_pipeline.config import reddit_settings
from adsync_pipeline.domain.model import CampaignSet, SyncState
from adsync_pipeline.local_sandbox import LOG_FILE, STATE_FILE, running_pid
from adsync_pipeline.store.campaign_sets import CampaignSetRepository
from adsync_pipeline.store.migrate import migrated_database
from adsync_pipeline.store.sync_log import SyncLogRepository
from adsync_pipeline.store.sync_requests import SyncRequestRepository
from adsync_pipeline.sync.demo import (
    connect_sandbox_account,
    import_example,
    prepare_home,
    use_local_setup,
    write_local_setup,
)
from adsync_pipeline.sync.requests import request_sync

_HEADER = ("entity", "key", "platform id", "status")


@cli.command("demo")
def demo() -> None:
    """Push the example campaign set to a local Reddit sandbox through Dagster."""
    # Imported here: Dagster takes a second to import, and only this command needs it.
    from adsync_pipeline.orchestration.local_run import run_request_in_process

    started = time.monotonic()
    home = prepare_home()
    setup = write_local_setup(home)
    use_local_setup(home)
    click.echo(f"home           {home}")
    click.echo(f"configuration  {setup.config_file} (encryption key from {setup.key_source})")
    settings = reddit_settings()  # starts the sandbox unless it runs already
    click.echo(
        f"Reddit sandbox {settings.api_url} (pid {running_pid(home) or '?'}, "
        f"state in {STATE_FILE}, log in {LOG_FILE})"
    )
    db = migrated_database()
    try:
        example = import_example(db)
        verb = "imported" if example.created else ("updated" if example.changed else "found")
        click.echo(f"campaign set   {example.set_id} {verb} (examples/summer-sale.json)")
        account = connect_sandbox_account(db)
        click.echo(
            f"ad account     {account.platform} {account.platform_account_id} "
            f"({account.name or 'unnamed'}), connected; funding instrument "
            f"{account.funding_instrument_id or '-'}"
        )
        request_id = request_sync(db, example.set_id, getpass.getuser(), trigger="demo")
        click.echo(f"sync request   {request_id}, running it through Dagster…")
        run = run_request_in_process(db, request_id)
        request = SyncRequestRepository(db).get(request_id)
        campaign_set = CampaignSetRepository(db).load(example.set_id)
        writes = sum(
            1
            for row in SyncLogRepository(db).audit_rows(run_id=run.run_id, limit=100_000)
            if row["method"] != "GET"
        )
    finally:
        db.dispose()
    _summary(campaign_set, run.run_id, run.success, request.result or {}, writes)
    click.echo(f"\nDone in {time.monotonic() - started:.1f} s.")
    _next_steps(home, example.set_id)
    if not run.success:
        sys.exit(1)


def _next_steps(home: Path, set_id: int) -> None:
    click.echo(
        "\nEvery adsync command and Dagster now use this setup, from any directory, with "
        "nothing to export\n"
        f"(the environment overrides {home.name}/adsync.env in a real deployment):\n"
        "  adsync dev                     Dagster UI and daemon on http://127.0.0.1:3000\n"
        f"  adsync status {set_id:<16} the set, its latest push and request\n"
        f"  adsync plan {set_id:<18} what a push would change\n"
        f"  adsync sync {set_id:<18} queue a push (the Dagster sensor runs it)\n"
        "  adsync reconcile               pull edits made on the platform\n"
        "  adsync api serve               the HTTP API (keys: adsync api keys create NAME)\n"
        "  adsync sandbox stop            stop the background Reddit sandbox (any command\n"
        "                                 that needs it starts it again)"
    )


def _summary(
    campaign_set: CampaignSet, run_id: str, success: bool, result: dict[str, Any], writes: int
) -> None:
    click.echo(f"\nDagster run {run_id}: {'SUCCESS' if success else 'FAILURE'}")
    if result.get("error") or result.get("refused"):
        click.echo(f"  {result.get('error') or result.get('refused')}")
    click.echo(
        f"  {result.get('synced', 0)} synced, {result.get('failed', 0)} failed, "
        f"{result.get('skipped', 0)} skipped, {result.get('noop', 0)} unchanged; "
        f"{result.get('api_calls', 0)} API calls ({writes} writes), "
        f"{result.get('rate_limited', 0)} rate-limited, {result.get('duration_s', 0):.2f} s"
    )
    if success and writes == 0:
        click.echo("  Nothing changed since the last push: zero writes to the platform.")
    rows = [
        (level, key, sync.platform_id or "-", sync.sync_status)
        for level, key, sync in _entities(campaign_set)
    ]
    widths = [max(len(row[i]) for row in [_HEADER, *rows]) for i in range(3)]
    for level, key, platform_id, status in [_HEADER, *rows]:
        cells = (level.ljust(widths[0]), key.ljust(widths[1]), platform_id.ljust(widths[2]))
        click.echo(f"  {'  '.join(cells)}  {status}")


def _entities(campaign_set: CampaignSet) -> list[tuple[str, str, SyncState]]:
    rows: list[tuple[str, str, SyncState]] = []
    for campaign in campaign_set.campaigns:
        rows.append(("campaign", campaign.key, campaign.sync))
        for group in campaign.ad_groups:
            path = f"{campaign.key}/{group.key}"
            rows.append(("ad_group", path, group.sync))
            rows += [("ad", f"{path}/{ad.key}", ad.sync) for ad in group.ads]
            rows += [("keyword", f"{path}/{kw.key}", kw.sync) for kw in group.keywords]
    return rows

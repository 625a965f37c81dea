"""`adsync status SET_ID`: one campaign set as a tree, with each entity's sync state."""

from __future__ import annotations

from dataclasses import asdict
from decimal import Decimal
from typing import Any

import click

from adsync_pipeline.cli.base import cli, emit_json
from adsync_pipeline.domain.model import Ad, AdGroup, Campaign, CampaignSet, Keyword, SyncState
from adsync_pipeline.store.campaign_sets import CampaignSetRepository
from adsync_pipeline.store.migrate import migrated_database
from adsync_pipeline.store.sync_requests import SyncRequestRecord, SyncRequestRepository


def _plain(value: Any) -> Any:
    """JSON-ready: Decimals as strings (exact), times as ISO-8601, tuples as lists."""
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def _sync(state: SyncState) -> dict[str, Any]:
    return _plain(asdict(state))


def _keyword(k: Keyword) -> dict[str, Any]:
    return {"id": k.id, "key": k.key, "text": k.text, "match_type": k.match_type, **_sync(k.sync)}


def _ad(a: Ad) -> dict[str, Any]:
    fields = {k: v for k, v in asdict(a).items() if k != "sync"}
    return {**_plain(fields), **_sync(a.sync)}


def _ad_group(g: AdGroup) -> dict[str, Any]:
    return {
        "id": g.id,
        "key": g.key,
        "name": g.name,
        "status": g.status,
        "bidding": _plain(asdict(g.bidding)),
        "targeting": _plain(asdict(g.targeting)),
        "optimization_goal": g.optimization_goal,
        **_sync(g.sync),
        "keywords": [_keyword(k) for k in g.keywords],
        "ads": [_ad(a) for a in g.ads],
    }


def _campaign(c: Campaign) -> dict[str, Any]:
    return {
        "id": c.id,
        "key": c.key,
        "name": c.name,
        "objective": c.objective,
        "status": c.status,
        "budget": _plain(asdict(c.budget)),
        "start_time": _plain(c.start_time),
        "end_time": _plain(c.end_time),
        **_sync(c.sync),
        "ad_groups": [_ad_group(g) for g in c.ad_groups],
    }


def set_to_dict(s: CampaignSet) -> dict[str, Any]:
    return {
        "id": s.id,
        "name": s.name,
        "platform": s.platform,
        "ad_account_id": s.ad_account_id,
        "status": s.status,
        "sync_status": s.sync_status,
        "revision": s.revision,
        "last_synced_at": _plain(s.last_synced_at),
        "campaigns": [_campaign(c) for c in s.campaigns],
    }


def _line(depth: int, kind: str, label: str, status: str | None, sync: SyncState) -> str:
    parts = [f"{'  ' * depth}{kind} {label}"]
    if status:
        parts.append(status)
    parts.append(sync.sync_status.value)
    parts.append(f"platform id {sync.platform_id or '-'}")
    if sync.removed:
        parts.append("REMOVED")
    if sync.last_error:
        parts.append(f"error: {sync.last_error}")
    return "  ".join(parts)


def _tree(s: CampaignSet) -> list[str]:
    lines = [
        f"campaign set {s.id} {s.name!r}  [{s.platform} {s.ad_account_id}]  "
        f"{s.status}/{s.sync_status}  revision {s.revision}"
    ]
    for c in s.campaigns:
        lines.append(_line(1, "campaign", f"{c.key} {c.name!r}", c.status, c.sync))
        for g in c.ad_groups:
            lines.append(_line(2, "ad group", f"{g.key} {g.name!r}", g.status, g.sync))
            lines += [_line(3, "ad", f"{a.key} {a.name!r}", a.status, a.sync) for a in g.ads]
            lines += [
                _line(3, "keyword", f"{k.text!r} ({k.match_type})", None, k.sync)
                for k in g.keywords
            ]
    return lines


@cli.command("status")
@click.argument("set_id", type=int)
@click.option("--json", "as_json", is_flag=True, help="Print the whole hierarchy as JSON.")
def status_command(set_id: int, as_json: bool) -> None:
    """Show a campaign set as a tree: status, sync status, platform id and last error."""
    db = migrated_database()
    try:
        campaign_set = CampaignSetRepository(db).load(set_id)
        request = SyncRequestRepository(db).latest_for_set(set_id)
    finally:
        db.dispose()
    if as_json:
        emit_json({**set_to_dict(campaign_set), "latest_sync_request": _request(request)})
    else:
        click.echo("\n".join(_tree(campaign_set)))
        click.echo(_request_line(request))


def _request(request: SyncRequestRecord | None) -> dict[str, Any] | None:
    if request is None:
        return None
    fields = (
        "id",
        "status",
        "trigger",
        "requested_by",
        "requested_at",
        "dagster_run_id",
        "launched_at",
        "finished_at",
        "result",
    )
    return _plain({name: getattr(request, name) for name in fields})


def _request_line(request: SyncRequestRecord | None) -> str:
    if request is None:
        return "sync requests: none (`adsync sync SET_ID` queues one)"
    run = f", Dagster run {request.dagster_run_id}" if request.dagster_run_id else ""
    outcome = ""
    if request.result:
        outcome = (
            f": {request.result.get('synced', 0)} synced, {request.result.get('failed', 0)} "
            f"failed, {request.result.get('skipped', 0)} skipped"
        )
    return (
        f"latest sync request {request.id}: {request.status} (requested "
        f"{request.requested_at:%Y-%m-%d %H:%M:%S} by {request.requested_by or '-'} via "
        f"{request.trigger}{run}){outcome}"
    )

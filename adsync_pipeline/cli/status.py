"""`adsync status SET_ID`: one campaign set as a tree, with each entity's sync state, then
its latest push and its latest sync request, each failure with its cause."""

from __future__ import annotations

from dataclasses import fields
from decimal import Decimal
from typing import Any

import click

from adsync_pipeline.cli.base import cli, emit_json
from adsync_pipeline.cli.tables import plural, table
from adsync_pipeline.domain.model import Ad, AdGroup, Campaign, CampaignSet, Keyword, SyncState
from adsync_pipeline.store.campaign_sets import CampaignSetRepository
from adsync_pipeline.store.migrate import migrated_database
from adsync_pipeline.store.sync_log import SyncLogRepository
from adsync_pipeline.store.sync_requests import FAILED, SyncRequestRecord, SyncRequestRepository


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


def _shallow(obj: Any, *skip: str) -> dict[str, Any]:
    """A dataclass's fields by name: `asdict` deep-copies every value, which dominated
    `status --json` of 200,000-ad sets; `_plain` copies what it changes anyway."""
    return {f.name: getattr(obj, f.name) for f in fields(obj) if f.name not in skip}


def _sync(state: SyncState) -> dict[str, Any]:
    return _plain(_shallow(state))


def _keyword(k: Keyword) -> dict[str, Any]:
    return {"id": k.id, "key": k.key, "text": k.text, "match_type": k.match_type, **_sync(k.sync)}


def _ad(a: Ad) -> dict[str, Any]:
    return {**_plain(_shallow(a, "sync")), **_sync(a.sync)}


def _ad_group(g: AdGroup) -> dict[str, Any]:
    return {
        "id": g.id,
        "key": g.key,
        "name": g.name,
        "status": g.status,
        "bidding": _plain(_shallow(g.bidding)),
        "targeting": _plain(_shallow(g.targeting)),
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
        "budget": _plain(_shallow(c.budget)),
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


TREE_HEADERS = ("level", "key", "name", "status", "sync", "platform id", "last error")


Row = tuple[object, ...]


def _row(level: str, key: str, name: str, status: object, sync: SyncState) -> Row:
    state = sync.sync_status.value + (", removed" if sync.removed else "")
    return (level, key, name, status, state, sync.platform_id, sync.last_error)


def _rows(s: CampaignSet) -> list[Row]:
    rows: list[Row] = []
    for c in s.campaigns:
        rows.append(_row("campaign", c.key, c.name, c.status, c.sync))
        for g in c.ad_groups:
            path = f"{c.key}/{g.key}"
            rows.append(_row("ad group", path, g.name, g.status, g.sync))
            rows += [_row("ad", f"{path}/{a.key}", a.name, a.status, a.sync) for a in g.ads]
            rows += [
                _row("keyword", f"{path}/{k.key}", f"{k.text} ({k.match_type})", None, k.sync)
                for k in g.keywords
            ]
    return rows


def _counts(s: CampaignSet) -> str:
    groups = [g for c in s.campaigns for g in c.ad_groups]
    return ", ".join(
        [
            plural(len(s.campaigns), "campaign"),
            plural(len(groups), "ad group"),
            plural(sum(len(g.ads) for g in groups), "ad"),
            plural(sum(len(g.keywords) for g in groups), "keyword"),
        ]
    )


def _tree(s: CampaignSet) -> list[str]:
    head = (
        f"campaign set {s.id} {s.name!r}  [{s.platform} {s.ad_account_id}]  "
        f"{s.status}/{s.sync_status}  revision {s.revision}"
    )
    lines = [head, _counts(s), ""]
    rows = _rows(s)
    lines.append(table(TREE_HEADERS, rows) if rows else "(no campaigns)")
    return lines


@cli.command("status")
@click.argument("set_id", type=int)
@click.option("--json", "as_json", is_flag=True, help="Print the whole hierarchy as JSON.")
def status_command(set_id: int, as_json: bool) -> None:
    """Show a campaign set as a tree: status, sync status, platform id and last error.

    Then the set's latest push, whoever started it (CLI, API, Dagster), and its latest sync
    request; a failed or refused one with its cause.
    """
    db = migrated_database()
    try:
        campaign_set = CampaignSetRepository(db).load(set_id)
        push = SyncLogRepository(db).latest_run(set_id)
        request = SyncRequestRepository(db).latest_for_set(set_id)
    finally:
        db.dispose()
    if as_json:
        emit_json(
            {
                **set_to_dict(campaign_set),
                "latest_push": _push(push),
                "latest_sync_request": _request(request),
            }
        )
        return
    click.echo("\n".join(_tree(campaign_set)))
    click.echo("")
    click.echo("\n".join(_push_lines(push)))
    click.echo("\n".join(_request_lines(request)))


def _push_cause(run: dict[str, Any]) -> str | None:
    """Why a failed or refused push ended so; rows written before causes were recorded
    fall back to their failed count."""
    summary = run["summary"] or {}
    if run["status"] not in ("failed", "refused"):
        return None
    recorded = summary.get("cause") or summary.get("error") or summary.get("refused")
    failed = plural(run["failed"], "entity", "entities")
    return recorded or f"{failed} failed (see `adsync audit`)"


def _push(run: dict[str, Any] | None) -> dict[str, Any] | None:
    if run is None:
        return None
    summary = run["summary"] or {}
    fields = ("run_id", "trigger", "status", "started_at", "finished_at", "synced", "failed")
    rest = ("skipped", "api_calls", "rate_limited", "retries")
    return _plain(
        {
            **{name: run[name] for name in fields + rest},
            "kind": summary.get("operation", run["kind"]),
            "noop": summary.get("noop"),
            "cause": _push_cause(run),
        }
    )


def _push_lines(run: dict[str, Any] | None) -> list[str]:
    if run is None:
        return ["latest push: none (`adsync sync SET_ID --now` pushes here)"]
    summary = run["summary"] or {}
    when = f"{run['finished_at'] or run['started_at']:%Y-%m-%d %H:%M:%S}"
    totals = (
        f"{run['synced']} synced, {run['failed']} failed, {run['skipped']} skipped, "
        f"{plural(run['api_calls'], 'API call')}"
    )
    lines = [
        f"latest push: {run['status']}  ({summary.get('operation', run['kind'])} via "
        f"{run['trigger'] or '-'}, run {run['run_id']}, {when}): {totals}"
    ]
    cause = _push_cause(run)
    if cause:
        lines.append(f"  cause: {cause}")
    return lines


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
    return _plain(
        {**{name: getattr(request, name) for name in fields}, "cause": _request_cause(request)}
    )


def _request_cause(request: SyncRequestRecord) -> str | None:
    result = request.result or {}
    if request.status != FAILED and result.get("status") != "failed":
        return None
    return result.get("cause") or result.get("error") or result.get("refused")


def _request_lines(request: SyncRequestRecord | None) -> list[str]:
    if request is None:
        return ["latest sync request: none (`adsync sync SET_ID` queues one)"]
    run = f", Dagster run {request.dagster_run_id}" if request.dagster_run_id else ""
    outcome = ""
    if request.result and "synced" in request.result:
        outcome = (
            f": {request.result.get('synced', 0)} synced, {request.result.get('failed', 0)} "
            f"failed, {request.result.get('skipped', 0)} skipped"
        )
    lines = [
        f"latest sync request {request.id}: {request.status}  (requested "
        f"{request.requested_at:%Y-%m-%d %H:%M:%S} by {request.requested_by or '-'} via "
        f"{request.trigger}{run}){outcome}"
    ]
    cause = _request_cause(request)
    if cause:
        lines.append(f"  cause: {cause}")
    return lines

"""Reconciliation in Dagster: per ad account, a snapshot asset and a reconciliation asset,
a 15-minute schedule, a `no_open_conflicts` check and a `resolve_conflict` job. Thin: the
work is in `sync/reconcile.py` and `sync/conflicts.py`."""
# No `from __future__ import annotations`: Dagster inspects the context type hints.

import json
import warnings
from typing import Any

from dagster import (
    AssetCheckResult,
    AssetCheckSeverity,
    AssetCheckSpec,
    AssetExecutionContext,
    Config,
    DefaultScheduleStatus,
    DynamicPartitionsDefinition,
    MaterializeResult,
    MetadataValue,
    OpExecutionContext,
    Output,
    PreviewWarning,
    RunRequest,
    ScheduleEvaluationContext,
    SkipReason,
    TableColumn,
    TableRecord,
    TableSchema,
    asset,
    define_asset_job,
    in_process_executor,
    job,
    op,
    schedule,
)
from pydantic import Field

from adsync_pipeline.domain.model import SyncStatus
from adsync_pipeline.orchestration.partitions import TRIGGER_TAG, push_tags
from adsync_pipeline.orchestration.resources import CampaignStoreResource
from adsync_pipeline.store.conflicts import ConflictRepository
from adsync_pipeline.store.models import utcnow
from adsync_pipeline.sync.conflicts import resolve_conflict as resolve
from adsync_pipeline.sync.reconcile import (
    connected_accounts,
    find_account,
    reconcile_snapshot,
    take_snapshot,
)
from adsync_pipeline.sync.requests import request_sync

NO_OPEN_CONFLICTS = "no_open_conflicts"
CHANGE_ROWS = 200

# Partition key: the platform's account id (t2_...), what people recognise in the UI.
ad_accounts = DynamicPartitionsDefinition(name="ad_accounts")


@asset(
    partitions_def=ad_accounts,
    group_name="reconciliation",
    description="The whole ad account as the platform holds it, read through list endpoints "
    "and stored per entity (platform id, fingerprint of the mapped state, raw JSON).",
)
def platform_snapshot(
    context: AssetExecutionContext, store: CampaignStoreResource
) -> MaterializeResult:
    db = store.database()
    try:
        result = take_snapshot(db, context.partition_key, context.run_id)
    finally:
        db.dispose()
    return MaterializeResult(
        metadata={
            "fetched": result.fetched,
            **{f"count_{kind}": n for kind, n in result.by_type.items()},
            "list_calls": result.list_calls,
            "other_calls": result.other_calls,
            "changes_detected": result.changes,
            "added": result.added,
            "changed": result.changed,
            "gone": result.gone,
            "duration_s": result.duration_s,
            **{f"effective_{status}": n for status, n in sorted(result.effective_status.items())},
            "rejected": _table(
                [
                    {
                        "entity": r["entity_type"],
                        "platform_id": r["platform_id"],
                        "reason": r["reason"],
                    }
                    for r in result.rejected[:CHANGE_ROWS]
                ],
                ("entity", "platform_id", "reason"),
            ),
        }
    )


def _no_open_conflicts_spec() -> AssetCheckSpec:
    # Partitioned like the asset, so each evaluation shows its account (see checks.py on
    # the preview warning).
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PreviewWarning)
        return AssetCheckSpec(
            NO_OPEN_CONFLICTS,
            asset="reconciliation",
            partitions_def=ad_accounts,
            description="No conflict between a local and a platform edit awaits a person.",
        )


@asset(
    partitions_def=ad_accounts,
    deps=[platform_snapshot],
    group_name="reconciliation",
    check_specs=[_no_open_conflicts_spec()],
    description="The snapshot compared three ways with what we pushed and local: platform "
    "edits pulled, merges made, conflicts opened.",
)
def reconciliation(
    context: AssetExecutionContext, store: CampaignStoreResource
) -> MaterializeResult:
    db = store.database()
    try:
        result = reconcile_snapshot(db, context.partition_key, context.run_id)
        account = find_account(db, context.partition_key)
        open_conflicts = ConflictRepository(db).list(ad_account_id=account.id)
    finally:
        db.dispose()
    return MaterializeResult(
        metadata={
            "unchanged": result.unchanged,
            "local_only": result.local_only,
            "pulled": result.pulled,
            "merged": result.merged,
            "conflicts_opened": result.conflicts,
            "deleted_on_platform": result.deleted_on_platform,
            "skipped": result.skipped,
            "compare_s": result.compare_s,
            "changes": _table(change_rows(result.changes)[:CHANGE_ROWS], CHANGE_COLUMNS),
        },
        check_results=[
            AssetCheckResult(
                check_name=NO_OPEN_CONFLICTS,
                passed=not open_conflicts,
                severity=AssetCheckSeverity.WARN,
                metadata={
                    "account": MetadataValue.text(context.partition_key),
                    "open_conflicts": len(open_conflicts),
                    "conflicts": _table(
                        [
                            {
                                "id": c.id,
                                "set": c.campaign_set_id,
                                "entity": c.entity_type,
                                "key": c.entity_key,
                                "field": c.field,
                                "base": _cell(c.base),
                                "local": _cell(c.local),
                                "remote": _cell(c.remote),
                            }
                            for c in open_conflicts[:CHANGE_ROWS]
                        ],
                        ("id", "set", "entity", "key", "field", "base", "local", "remote"),
                    ),
                    "resolve": "adsync conflicts list; adsync conflicts resolve ID --use "
                    "local|platform (or the resolve_conflict job)",
                },
            )
        ],
    )


CHANGE_COLUMNS = ("entity", "key", "field", "base", "local", "remote", "result")
# A targeting list or a long copy stays readable in a table cell.
CELL_CHARS = 120


def change_rows(changes: list[dict[str, Any]]) -> list[dict[str, str]]:
    """One row per changed field of each entity reconcile touched; an entity with no field
    row of its own (deleted on the platform, keywords only) gets one row saying what."""
    rows: list[dict[str, str]] = []
    for change in changes:
        entity, key = change["entity_type"], change["key"]
        fields = [
            {
                "entity": entity,
                "key": key,
                "field": f["field"],
                "base": _cell(f["base"]),
                "local": _cell(f["local"]),
                "remote": _cell(f["remote"]),
                "result": f["result"],
            }
            for f in change.get("fields", [])
        ]
        if "keywords" in change:
            added, removed = change["keywords"]["added"], change["keywords"]["removed"]
            remote = ", ".join([*(f"+{k}" for k in added), *(f"-{k}" for k in removed)])
            fields.append(
                {
                    "entity": entity,
                    "key": key,
                    "field": "keywords",
                    "base": "",
                    "local": "",
                    "remote": _cell(remote),
                    "result": "pulled",
                }
            )
        if not fields:
            fields.append(
                {
                    "entity": entity,
                    "key": key,
                    "field": "",
                    "base": "",
                    "local": "",
                    "remote": "",
                    "result": change["outcome"],
                }
            )
        rows.extend(fields)
    return rows


def _cell(value: Any) -> str:
    if value is None:
        return ""
    text = value if isinstance(value, str) else json.dumps(value, default=str)
    return text if len(text) <= CELL_CHARS else text[: CELL_CHARS - 1] + "…"


def _table(rows: list[dict[str, Any]], columns: tuple[str, ...]) -> MetadataValue:
    def kind(name: str) -> str:
        return "int" if rows and all(isinstance(row[name], int) for row in rows) else "string"

    return MetadataValue.table(
        records=[TableRecord(row) for row in rows],
        schema=TableSchema(columns=[TableColumn(name, kind(name)) for name in columns]),
    )


reconcile_account_job = define_asset_job(
    "reconcile_account",
    selection=[platform_snapshot, reconciliation],
    partitions_def=ad_accounts,
    executor_def=in_process_executor,
    description="Snapshot one ad account and reconcile it (partition = platform account id).",
)


@schedule(
    job=reconcile_account_job,
    cron_schedule="*/15 * * * *",
    default_status=DefaultScheduleStatus.RUNNING,
    description="Every 15 minutes, one reconcile run per connected ad account, queued behind "
    "pushes to the same account (same `adsync/ad_account` tag).",
)
def reconcile_platforms(
    context: ScheduleEvaluationContext, store: CampaignStoreResource
) -> list[RunRequest] | SkipReason:
    tick = context.scheduled_execution_time or utcnow()
    db = store.database()
    try:
        accounts = connected_accounts(db)
    finally:
        db.dispose()
    requests = []
    for account in accounts:
        partition = account.platform_account_id
        if not context.instance.has_dynamic_partition(ad_accounts.name, partition):
            context.instance.add_dynamic_partitions(ad_accounts.name, [partition])
        requests.append(
            RunRequest(
                run_key=f"reconcile:{partition}:{tick:%Y%m%dT%H%M}",
                partition_key=partition,
                tags=push_tags(account.id, account.platform, "schedule"),
            )
        )
    return requests or SkipReason("no connected ad accounts")


class ResolveConflictConfig(Config):
    conflict_id: int = Field(description="Id from `adsync conflicts list`.")
    use: str = Field(description="`local` (push the local value) or `platform`.")
    resolved_by: str = Field(default="dagster", description="Who resolves it, for history.")


@op(tags={TRIGGER_TAG: "conflict"})
def resolve_conflict_op(
    context: OpExecutionContext, config: ResolveConflictConfig, store: CampaignStoreResource
) -> Output[None]:
    """Only database writes here. A job's tags are fixed before its config is read, so this
    run cannot carry the conflict's `adsync/ad_account` tag: the push that `local` needs is
    queued as a sync request instead, and the `pending_campaign_sets` sensor launches it as a
    `push_campaign_set` run tagged with the account, queued behind its other pushes."""
    db = store.database()
    try:
        resolution = resolve(db, config.conflict_id, config.use, config.resolved_by, push=None)
        request_id = None
        if resolution.sync_status is SyncStatus.PENDING:
            request_id = request_sync(
                db, resolution.conflict.campaign_set_id, config.resolved_by, trigger="conflict"
            )
    finally:
        db.dispose()
    queued = f"; push queued (sync request {request_id})" if request_id is not None else ""
    context.log.info(
        f"conflict {config.conflict_id} resolved with {config.use}; entity "
        f"{resolution.sync_status.value}{queued}"
    )
    summary = json.loads(json.dumps(resolution.to_dict(), default=str))
    return Output(
        None,
        metadata={
            "resolution": MetadataValue.json(summary),
            "sync_request_id": request_id if request_id is not None else MetadataValue.null(),
        },
    )


@job(
    name="resolve_conflict",
    executor_def=in_process_executor,
    description="Resolve one conflict by picking a side; `local` queues a push of the entity's "
    "set (a sync request, launched tagged with its ad account like every push).",
)
def resolve_conflict_job() -> None:
    resolve_conflict_op()

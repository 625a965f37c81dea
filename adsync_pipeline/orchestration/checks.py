"""Asset checks of a push, evaluated from the store after the push has written to it."""

from __future__ import annotations

import warnings
from typing import Any

from dagster import (
    AssetCheckEvaluation,
    AssetCheckResult,
    AssetCheckSeverity,
    AssetCheckSpec,
    AssetKey,
    MetadataValue,
    PreviewWarning,
    TableColumn,
    TableRecord,
    TableSchema,
)

from adsync_pipeline.orchestration.partitions import campaign_sets
from adsync_pipeline.store.db import Database
from adsync_pipeline.store.sync_health import EntityState, set_sync_health

ALL_ENTITIES_SYNCED = "all_entities_synced"
PLATFORM_IDS_STORED = "platform_ids_stored"
PUSH_ASSET = "platform_push"


def push_check_specs() -> list[AssetCheckSpec]:
    # Partitioned like the asset, so each evaluation shows which set it is about. Dagster
    # calls partitioned checks a preview and warns on every load of the code location; the
    # choice is made here, once, so the warning would only be noise in every command.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PreviewWarning)
        return [
            AssetCheckSpec(
                ALL_ENTITIES_SYNCED,
                asset=PUSH_ASSET,
                partitions_def=campaign_sets,
                description="Every live entity of the set is synced (none pending, failed or "
                "in conflict).",
            ),
            AssetCheckSpec(
                PLATFORM_IDS_STORED,
                asset=PUSH_ASSET,
                partitions_def=campaign_sets,
                description="Every synced entity has its platform id stored.",
            ),
        ]


def push_check_results(db: Database, set_id: int, set_name: str) -> list[AssetCheckResult]:
    """The checks' outcomes, for the `platform_push` asset to return with its materialization."""
    return [
        AssetCheckResult(check_name=name, passed=passed, severity=severity, metadata=metadata)
        for name, passed, severity, metadata in _evaluate(db, set_id, set_name)
    ]


def push_check_evaluations(
    db: Database, set_id: int, set_name: str, partition_key: str
) -> list[AssetCheckEvaluation]:
    """The same outcomes for a push made outside Dagster, reported without a run."""
    return [
        AssetCheckEvaluation(
            asset_key=AssetKey(PUSH_ASSET),
            check_name=name,
            passed=passed,
            severity=severity,
            metadata=metadata,
            partition=partition_key,
        )
        for name, passed, severity, metadata in _evaluate(db, set_id, set_name)
    ]


def _evaluate(
    db: Database, set_id: int, set_name: str
) -> list[tuple[str, bool, AssetCheckSeverity, dict[str, Any]]]:
    health = set_sync_health(db, set_id)
    which = MetadataValue.text(f"{set_name} (set {set_id})")
    unsynced = sum(n for status, n in health.by_status.items() if status != "synced")
    return [
        (
            ALL_ENTITIES_SYNCED,
            not health.unsynced,
            AssetCheckSeverity.ERROR,
            {
                "set": which,
                **{f"entities_{status}": n for status, n in sorted(health.by_status.items())},
                "not_synced": unsynced,
                "not_synced_entities": _entities_table(health.unsynced, unsynced),
            },
        ),
        (
            PLATFORM_IDS_STORED,
            not health.synced_without_platform_id,
            AssetCheckSeverity.ERROR,
            {
                "set": which,
                "synced_without_platform_id": len(health.synced_without_platform_id),
                "entities": _entities_table(health.synced_without_platform_id, None),
            },
        ),
    ]


def _entities_table(states: list[EntityState], total: int | None) -> MetadataValue:
    shown = f"the first {len(states)} of {total}" if total and total > len(states) else "all"
    return MetadataValue.table(
        records=[
            TableRecord(
                {
                    "status": s.sync_status,
                    "entity": s.entity_type,
                    "key": s.key,
                    "error": s.last_error or "",
                }
            )
            for s in states
        ],
        schema=TableSchema(
            columns=[
                TableColumn("status", "string", description=f"sync status ({shown} shown)"),
                TableColumn("entity", "string"),
                TableColumn("key", "string"),
                TableColumn("error", "string", description="the entity's last error"),
            ]
        ),
    )

"""Asset checks of a push, evaluated from the store after the push has written to it."""

from __future__ import annotations

from dagster import AssetCheckResult, AssetCheckSeverity, AssetCheckSpec, MetadataValue

from adsync_pipeline.store.db import Database
from adsync_pipeline.store.sync_health import set_sync_health

ALL_ENTITIES_SYNCED = "all_entities_synced"
PLATFORM_IDS_STORED = "platform_ids_stored"


def push_check_specs(asset_key: str) -> list[AssetCheckSpec]:
    return [
        AssetCheckSpec(
            ALL_ENTITIES_SYNCED,
            asset=asset_key,
            description="Every live entity of the set is synced (none pending, failed or "
            "in conflict).",
        ),
        AssetCheckSpec(
            PLATFORM_IDS_STORED,
            asset=asset_key,
            description="Every synced entity has its platform id stored.",
        ),
    ]


def push_check_results(db: Database, set_id: int) -> list[AssetCheckResult]:
    health = set_sync_health(db, set_id)
    return [
        AssetCheckResult(
            check_name=ALL_ENTITIES_SYNCED,
            passed=not health.unsynced_keys,
            severity=AssetCheckSeverity.ERROR,
            metadata={
                "by_status": MetadataValue.json(health.by_status),
                "not_synced (sample)": MetadataValue.md(_bullets(health.unsynced_keys)),
            },
        ),
        AssetCheckResult(
            check_name=PLATFORM_IDS_STORED,
            passed=not health.synced_without_platform_id,
            severity=AssetCheckSeverity.ERROR,
            metadata={
                "missing (sample)": MetadataValue.md(_bullets(health.synced_without_platform_id))
            },
        ),
    ]


def _bullets(items: list[str]) -> str:
    return "\n".join(f"- `{item}`" for item in items) or "none"

"""Assets per campaign set (one partition each). Thin: the work is in `sync/` and `domain/`."""
# No `from __future__ import annotations`: Dagster inspects the context type hints.

from dagster import (
    AssetExecutionContext,
    Failure,
    MaterializeResult,
    MetadataValue,
    asset,
)

from adsync_pipeline.domain.model import CampaignSet, EntityType
from adsync_pipeline.domain.plan import OpKind, make_plan
from adsync_pipeline.orchestration.checks import push_check_results, push_check_specs
from adsync_pipeline.orchestration.partitions import (
    REQUEST_TAG,
    TRIGGER_TAG,
    campaign_sets,
    set_id_of,
)
from adsync_pipeline.orchestration.push_report import push_metadata, read_push_report
from adsync_pipeline.orchestration.resources import CampaignStoreResource, RedditResource
from adsync_pipeline.store.campaign_sets import CampaignSetRepository
from adsync_pipeline.store.models import utcnow
from adsync_pipeline.store.sync_log import SyncLogRepository
from adsync_pipeline.sync.serve import serve_push

PREVIEW_ROWS = 200


@asset(
    partitions_def=campaign_sets,
    group_name="adsync",
    description="A campaign set as authored locally, loaded and planned (no platform calls).",
)
def campaign_hierarchy(
    context: AssetExecutionContext, store: CampaignStoreResource
) -> MaterializeResult:
    set_id = set_id_of(context.partition_key)
    db = store.database()
    try:
        campaign_set = CampaignSetRepository(db).load(set_id)
    finally:
        db.dispose()
    plan_counts = make_plan(campaign_set, utcnow()).counts()
    totals = {kind: sum(per_type[kind] for per_type in plan_counts.values()) for kind in OpKind}
    return MaterializeResult(
        metadata={
            "set": f"{campaign_set.name} ({campaign_set.platform} {campaign_set.ad_account_id})",
            "revision": campaign_set.revision,
            **{f"count_{level}": n for level, n in _level_counts(campaign_set).items()},
            "plan_creates": totals[OpKind.CREATE],
            "plan_updates": totals[OpKind.UPDATE],
            "plan_noops": totals[OpKind.NOOP],
            "plan": MetadataValue.md(_plan_table(plan_counts)),
            "preview": MetadataValue.md(_preview(campaign_set)),
        }
    )


@asset(
    partitions_def=campaign_sets,
    deps=[campaign_hierarchy],
    group_name="adsync",
    check_specs=push_check_specs(),
    description="The campaign set pushed to its ad platform; platform ids stored as they come.",
)
def platform_push(
    context: AssetExecutionContext, store: CampaignStoreResource, reddit: RedditResource
) -> MaterializeResult:
    set_id = set_id_of(context.partition_key)
    tags = context.run.tags
    request_id = int(tags[REQUEST_TAG]) if REQUEST_TAG in tags else None
    db = store.database()
    try:
        result = serve_push(
            db,
            set_id,
            run_id=context.run_id,
            trigger=tags.get(TRIGGER_TAG, "manual"),
            request_id=request_id,
            settings=reddit.settings(),
        )
        if result.refused:
            # Nothing was attempted: a failed run (and its alert) is the honest outcome.
            raise Failure(
                description=f"push refused: {result.refused}",
                metadata={"refused": result.refused},
            )
        # From the store, as the push_history sensor reports pushes made outside Dagster.
        run = SyncLogRepository(db).run(context.run_id)
        if run is None:
            raise Failure(description=f"push run {context.run_id} left no record in the store")
        name = CampaignSetRepository(db).get_header(set_id).name
        metadata = push_metadata(read_push_report(db, run, name))
        checks = push_check_results(db, set_id, name)
    finally:
        db.dispose()
    return MaterializeResult(metadata=metadata, check_results=checks)


def _level_counts(campaign_set: CampaignSet) -> dict[str, int]:
    groups = [g for c in campaign_set.campaigns for g in c.ad_groups]
    return {
        "campaigns": len(campaign_set.campaigns),
        "ad_groups": len(groups),
        "ads": sum(len(g.ads) for g in groups),
        "keywords": sum(len(g.keywords) for g in groups),
    }


def _plan_table(counts: dict[EntityType, dict[OpKind, int]]) -> str:
    rows = ["| level | " + " | ".join(OpKind) + " |", "|---" * (len(OpKind) + 1) + "|"]
    for entity_type, per_kind in counts.items():
        rows.append(f"| {entity_type} | " + " | ".join(str(per_kind[k]) for k in OpKind) + " |")
    return "\n".join(rows)


def _preview(campaign_set: CampaignSet) -> str:
    rows = ["| level | key | name | status | sync | platform id |", "|---|---|---|---|---|---|"]
    for campaign in campaign_set.campaigns:
        rows.append(_row("campaign", campaign.key, campaign.name, campaign.status, campaign.sync))
        for group in campaign.ad_groups:
            key = f"{campaign.key}/{group.key}"
            rows.append(_row("ad_group", key, group.name, group.status, group.sync))
            for ad in group.ads:
                rows.append(_row("ad", f"{key}/{ad.key}", ad.name, ad.status, ad.sync))
            for kw in group.keywords:
                rows.append(_row("keyword", f"{key}/{kw.key}", kw.text, kw.match_type, kw.sync))
    shown = rows[: PREVIEW_ROWS + 2]
    if len(rows) > len(shown):
        shown.append(f"\n…and {len(rows) - len(shown)} more")
    return "\n".join(shown)


def _row(level: str, key: str, name: str, status: object, sync: object) -> str:
    state = getattr(sync, "sync_status", "")
    platform_id = getattr(sync, "platform_id", None) or ""
    cells = [level, key, name.replace("|", "\\|"), str(status), str(state), platform_id]
    return "| " + " | ".join(cells) + " |"

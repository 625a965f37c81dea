"""Jobs. In-process execution: a push is one process talking to one platform, and a
subprocess per step would only add start-up time between `adsync sync` and the first call."""

from __future__ import annotations

from dagster import AssetSelection, define_asset_job, in_process_executor

from adsync_pipeline.orchestration.assets import campaign_hierarchy, platform_push
from adsync_pipeline.orchestration.partitions import campaign_sets

push_campaign_set = define_asset_job(
    "push_campaign_set",
    selection=AssetSelection.assets(campaign_hierarchy, platform_push),
    partitions_def=campaign_sets,
    executor_def=in_process_executor,
    description="Load, plan and push one campaign set (partition = set id).",
)

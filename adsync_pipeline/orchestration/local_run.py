"""Running a push job in this process against the real instance (DAGSTER_HOME), so the run,
its metadata and checks are there to see in `dagster dev` afterwards."""

import uuid
from dataclasses import dataclass

from dagster import DagsterInstance

from adsync_pipeline.orchestration.partitions import (
    REQUEST_TAG,
    campaign_sets,
    push_tags,
    set_partition_key,
)
from adsync_pipeline.store.campaign_sets import CampaignSetRepository
from adsync_pipeline.store.db import Database
from adsync_pipeline.store.sync_requests import SyncRequestRepository


@dataclass(frozen=True)
class LocalRun:
    run_id: str
    success: bool


def run_request_in_process(db: Database, request_id: int) -> LocalRun:
    """Serve sync request `request_id` now, as the sensor would, but in this process."""
    # Imported here: loading the definitions reads the environment the caller prepared.
    from adsync_pipeline.definitions import defs

    requests = SyncRequestRepository(db)
    request = requests.get(request_id)
    run_id = str(uuid.uuid4())
    # Recorded before the run starts, so a running sensor does not serve it as well.
    requests.mark_launched(request_id, run_id)
    instance = DagsterInstance.get()
    set_id = request.campaign_set_id
    partition = set_partition_key(set_id, CampaignSetRepository(db).get_header(set_id).name)
    if not instance.has_dynamic_partition(campaign_sets.name, partition):
        instance.add_dynamic_partitions(campaign_sets.name, [partition])
    tags = push_tags(request.ad_account_id, request.platform, request.trigger)
    tags[REQUEST_TAG] = str(request_id)
    result = defs.resolve_job_def("push_campaign_set").execute_in_process(
        # The run's events are in the instance; the terminal gets the summary instead.
        run_config={"loggers": {"console": {"config": {"log_level": "WARNING"}}}},
        instance=instance,
        partition_key=partition,
        run_id=run_id,
        tags=tags,
        raise_on_error=False,
    )
    return LocalRun(run_id, result.success)

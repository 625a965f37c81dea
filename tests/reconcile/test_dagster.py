"""The reconciliation assets, check, schedule and resolve job, against the sandbox."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from dagster import build_schedule_context, instance_for_test, materialize

from adsync_pipeline.domain.model import EntityType, SyncStatus
from adsync_pipeline.orchestration.partitions import ACCOUNT_TAG
from adsync_pipeline.orchestration.reconcile import (
    NO_OPEN_CONFLICTS,
    ad_accounts,
    platform_snapshot,
    reconcile_platforms,
    reconciliation,
    resolve_conflict_job,
)
from adsync_pipeline.orchestration.resources import CampaignStoreResource
from adsync_pipeline.orchestration.sensors import _run_request
from adsync_pipeline.sandbox.reddit_state import AD_ACCOUNT_ID
from adsync_pipeline.store.accounts import AccountRepository
from adsync_pipeline.store.campaign_sets import CampaignSetRepository
from adsync_pipeline.store.conflicts import ConflictRepository
from adsync_pipeline.store.models import utcnow
from adsync_pipeline.store.sync_requests import SyncRequestRepository
from tests.reconcile.conftest import Pushed


@pytest.fixture
def db_url(sqlite_url: str) -> str:
    # Dagster wiring is dialect-independent; the store tests cover PostgreSQL.
    return sqlite_url


def test_assets_check_and_resolve_job(pushed: Callable[..., Pushed], db_url: str) -> None:
    setup = pushed()
    campaign = setup.load().campaigns[0]
    setup.edit("campaigns", campaign.sync.platform_id, name="Renamed on Reddit")
    CampaignSetRepository(setup.db).update_entity_fields(
        EntityType.CAMPAIGN, campaign.id, {"name": "Renamed locally"}
    )
    resources = {"store": CampaignStoreResource(database_url=db_url)}
    with instance_for_test() as instance:
        instance.add_dynamic_partitions(ad_accounts.name, [AD_ACCOUNT_ID])
        result = materialize(
            [platform_snapshot, reconciliation],
            partition_key=AD_ACCOUNT_ID,
            instance=instance,
            resources=resources,
        )
        assert result.success
        snapshot_meta = result.asset_materializations_for_node("platform_snapshot")[0].metadata
        assert snapshot_meta["list_calls"].value == 3
        assert snapshot_meta["changes_detected"].value == 3  # first snapshot: all added
        reconciled = result.asset_materializations_for_node("reconciliation")[0].metadata
        assert reconciled["conflicts_opened"].value == 1
        (change,) = [r.data for r in reconciled["changes"].records]
        assert change == {
            "entity": "campaign",
            "key": campaign.key,
            "field": "name",
            "base": campaign.name,
            "local": "Renamed locally",
            "remote": "Renamed on Reddit",
            "result": "conflict",
        }
        (check,) = result.get_asset_check_evaluations()
        assert check.check_name == NO_OPEN_CONFLICTS and not check.passed
        assert check.partition == AD_ACCOUNT_ID
        (open_conflict,) = check.metadata["conflicts"].records
        assert open_conflict.data["field"] == "name"
        assert open_conflict.data["remote"] == "Renamed on Reddit"

        (conflict,) = ConflictRepository(setup.db).list()
        run_config = {
            "ops": {"resolve_conflict_op": {"config": {"conflict_id": conflict.id, "use": "local"}}}
        }
        assert resolve_conflict_job.execute_in_process(
            run_config=run_config, resources=resources, instance=instance
        ).success
    # The job pushes nothing itself (its tags cannot depend on its config): it queues a sync
    # request, which the sensor launches as a push run tagged with the ad account.
    assert setup.platform("campaigns", campaign.sync.platform_id)["name"] == "Renamed on Reddit"
    (request,) = SyncRequestRepository(setup.db).unserved(limit=10)
    assert (request.campaign_set_id, request.trigger) == (setup.set_id, "conflict")
    account = AccountRepository(setup.db).find("reddit", AD_ACCOUNT_ID)
    assert account is not None
    assert _run_request(request, "any").tags[ACCOUNT_TAG] == str(account.id)
    setup.push()  # what that run does
    assert setup.platform("campaigns", campaign.sync.platform_id)["name"] == "Renamed locally"
    assert setup.load().campaigns[0].sync.sync_status is SyncStatus.SYNCED
    assert ConflictRepository(setup.db).get(conflict.id).resolved_by == "dagster"


def test_schedule_runs_once_per_connected_account_tagged_with_it(
    connected: object, db_url: str
) -> None:
    account = AccountRepository(connected).find("reddit", AD_ACCOUNT_ID)  # type: ignore[arg-type]
    assert account is not None
    with instance_for_test() as instance:
        context = build_schedule_context(
            instance=instance,
            scheduled_execution_time=utcnow(),
            resources={"store": CampaignStoreResource(database_url=db_url)},
        )
        (run,) = reconcile_platforms(context)
        assert run.partition_key == AD_ACCOUNT_ID
        assert run.tags["adsync/ad_account"] == str(account.id)
        assert instance.has_dynamic_partition(ad_accounts.name, AD_ACCOUNT_ID)

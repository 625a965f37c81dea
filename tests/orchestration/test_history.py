"""Dagster shows every set and every push: the `push_history` sensor, partition keys, and the
metadata a push carries (the same whether Dagster ran it or the CLI did)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from dagster import (
    AssetCheckEvaluation,
    AssetKey,
    AssetMaterialization,
    AssetObservation,
    AssetRecordsFilter,
    DagsterInstance,
    SensorResult,
    TableMetadataValue,
    build_sensor_context,
    instance_for_test,
    materialize,
)
from dagster._core.definitions.partitions.utils.base import (
    raise_error_on_invalid_partition_key_substring,
)

from adsync_pipeline.examples.generator import generate_campaign_set
from adsync_pipeline.orchestration.assets import campaign_hierarchy, platform_push
from adsync_pipeline.orchestration.history import (
    ABANDONED_AFTER,
    WATERMARK_LAG,
    HistoryCursor,
    plan_tick,
    push_history,
)
from adsync_pipeline.orchestration.partitions import set_id_of, set_partition_key
from adsync_pipeline.orchestration.push_report import AUDIT_ROWS
from adsync_pipeline.orchestration.resources import CampaignStoreResource, RedditResource
from adsync_pipeline.sandbox.reddit import RunningSandbox
from adsync_pipeline.store.campaign_sets import CampaignSetRepository
from adsync_pipeline.store.db import Database
from adsync_pipeline.store.models import utcnow
from adsync_pipeline.store.sync_log import AuditEntry, SyncLogRepository
from adsync_pipeline.sync.runner import run_push
from tests.orchestration.conftest import add_set
from tests.reconcile.conftest import Pushed, connected, pushed

__all__ = ["connected", "pushed"]  # fixtures, used by name

PUSH = AssetKey("platform_push")


def _tick(instance: DagsterInstance, db_url: str, cursor: str | None) -> SensorResult:
    context = build_sensor_context(
        instance=instance,
        cursor=cursor,
        resources={"store": CampaignStoreResource(database_url=db_url)},
    )
    result = push_history(context)
    assert isinstance(result, SensorResult)
    for event in result.asset_events:  # what the daemon does with them
        instance.report_runless_asset_event(event)
    return result


def _materializations(instance: DagsterInstance, partition: str) -> list[Any]:
    return instance.fetch_materializations(
        AssetRecordsFilter(asset_key=PUSH, asset_partitions=[partition]), limit=100
    ).records


def test_a_cli_push_shows_in_dagster_once_with_its_metadata(
    pushed: Callable[..., Pushed], db_url: str
) -> None:
    setup = pushed(campaigns=1, ad_groups=1, ads=1)  # run_push, as `adsync sync --now` does
    (run,) = SyncLogRepository(setup.db).runs(setup.set_id)
    key = f"{setup.set_id}-reconciled-set"
    with instance_for_test() as instance:
        first = _tick(instance, db_url, None)
        assert instance.has_dynamic_partition("campaign_sets", key)
        (materialization,) = [e for e in first.asset_events if isinstance(e, AssetMaterialization)]
        assert materialization.partition == key
        checks = [e for e in first.asset_events if isinstance(e, AssetCheckEvaluation)]
        assert {(c.check_name, c.passed, c.partition) for c in checks} == {
            ("all_entities_synced", True, key),
            ("platform_ids_stored", True, key),
        }

        (record,) = _materializations(instance, key)
        metadata = record.asset_materialization.metadata
        assert metadata["adsync_run_id"].value == run["run_id"]
        assert metadata["set"].value == f"Reconciled set (set {setup.set_id})"
        assert metadata["status"].value == "succeeded"
        assert metadata["trigger"].value == "manual"
        assert (metadata["synced"].value, metadata["failed"].value) == (3, 0)
        results = metadata["results"]
        assert isinstance(results, TableMetadataValue)
        assert {r.data["entity"] for r in results.records} == {"campaign", "ad_group", "ad"}
        assert {r.data["status"] for r in results.records} == {"synced"}
        assert all(r.data["platform_id"] for r in results.records)
        audit = metadata["audit"]
        assert isinstance(audit, TableMetadataValue)
        assert len(audit.records) == metadata["audit_calls"].value == run["api_calls"] > 0
        first_call = audit.records[0].data
        assert first_call["method"] in ("GET", "POST") and isinstance(first_call["status"], int)
        assert "audit_all" not in metadata  # all calls are in the table

        second = _tick(instance, db_url, first.cursor)
        assert second.asset_events == [] and second.skip_reason is not None
        assert len(_materializations(instance, key)) == 1


def test_a_dagster_push_has_the_same_metadata_and_is_not_reported_again(
    connected: Database, db_url: str, reddit_sandbox: RunningSandbox
) -> None:
    doc = generate_campaign_set(1, 1, 1, name="Both ways")
    set_id = CampaignSetRepository(connected).import_set(doc).campaign_set_id
    key = set_partition_key(set_id, "Both ways")
    resources = {
        "store": CampaignStoreResource(database_url=db_url),
        "reddit": RedditResource(),  # the sandbox, from the environment `connected` set
    }
    with instance_for_test() as instance:
        instance.add_dynamic_partitions("campaign_sets", [key])
        ran = materialize(
            [campaign_hierarchy, platform_push],
            partition_key=key,
            instance=instance,
            resources=resources,
        )
        assert ran.success
        (in_dagster,) = ran.asset_materializations_for_node("platform_push")
        assert {c.partition for c in ran.get_asset_check_evaluations()} == {key}

        run_push(connected, set_id, trigger="cli")  # nothing to do: still a push to show
        reported = _tick(instance, db_url, None)
        (outside,) = [e for e in reported.asset_events if isinstance(e, AssetMaterialization)]
        assert outside.metadata["trigger"].value == "cli"
        assert outside.metadata["noop"].value == 3
        assert list(outside.metadata) == list(in_dagster.metadata)
        assert len(_materializations(instance, key)) == 2  # the Dagster run's, the CLI's


def test_a_refused_push_is_an_observation_with_its_cause(store: Database, store_url: str) -> None:
    set_id, account_id = add_set(store, name="Busy set")
    log = SyncLogRepository(store)
    row = log.start_run("adsync-refused", set_id, account_id, "cli")
    cause = "circuit breaker open for reddit account t2_sandbox01 (5 failures); nothing pushed"
    log.finish_run(row, "refused", {}, {"duration_s": 0.01, "noop": 0, "refused": cause})
    with instance_for_test() as instance:
        result = _tick(instance, store_url, None)
        (event,) = result.asset_events
        assert isinstance(event, AssetObservation)
        assert event.partition == f"{set_id}-busy-set"
        assert event.metadata["cause"].value == cause
        assert _materializations(instance, f"{set_id}-busy-set") == []


def test_every_imported_set_has_its_partition_after_one_tick(
    store: Database, store_url: str
) -> None:
    first, _ = add_set(store, name="Summer Sale 2026")
    second, _ = add_set(store, name="Winter, [EU]... launch", account="t2_other")
    with instance_for_test() as instance:
        instance.add_dynamic_partitions("campaign_sets", [str(first)])  # an older instance's key
        _tick(instance, store_url, None)
        keys = instance.get_dynamic_partitions("campaign_sets")
    assert keys == [str(first), f"{first}-summer-sale-2026", f"{second}-winter-eu-launch"]


def test_partition_keys_name_the_set_and_read_back_its_id() -> None:
    assert set_partition_key(7, "Summer Sale 2026") == "7-summer-sale-2026"
    assert set_partition_key(7, "Été | promo... [FR], 50%") == "7-été-promo-fr-50"
    assert set_partition_key(7, "!!!") == "7"
    long = set_partition_key(12, "x" * 300)
    assert len(long) < 60
    raise_error_on_invalid_partition_key_substring([long, set_partition_key(1, "a...b\tc")])
    for key in ("7", "7-summer-sale-2026", "12-2026-q1", long):
        assert set_id_of(key) == int(key.split("-")[0])


def test_audit_table_is_capped_with_a_pointer_to_the_whole(store: Database, store_url: str) -> None:
    set_id, account_id = add_set(store, name="Big")
    log = SyncLogRepository(store)
    row = log.start_run("adsync-big", set_id, account_id, "api")
    for n in range(AUDIT_ROWS + 5):
        log.write_audit(
            AuditEntry(
                "adsync-big", set_id, account_id, "reddit", "campaign", f"c{n}", "create",
                "POST", "/ad_accounts/t2_x/campaigns", 201, 12, 1, "ok", None, None, None,
            )
        )  # fmt: skip
    log.finish_run(row, "succeeded", {"synced": 0}, {"duration_s": 1.0, "noop": 0})
    with instance_for_test() as instance:
        (event, *_checks) = _tick(instance, store_url, None).asset_events
    audit = event.metadata["audit"]
    assert len(audit.records) == AUDIT_ROWS
    assert audit.records[0].data["entity"] == "campaign:c0"  # the first calls, in order
    assert event.metadata["audit_calls"].value == AUDIT_ROWS + 5
    assert f"adsync audit {set_id} --run adsync-big" in event.metadata["audit_all"].value
    types = {c.name: c.type for c in audit.schema.columns}
    assert types["status"] == types["latency_ms"] == "int" and types["path"] == "string"


# The cursor: runs finish out of order; nothing twice, nothing skipped. ----------------------


def _run(run_id: int, *, finished: bool, age: timedelta = timedelta(minutes=10)) -> dict:
    started = utcnow() - age
    return {"id": run_id, "started_at": started, "finished_at": started if finished else None}


def test_a_run_finishing_after_a_later_one_is_still_reported() -> None:
    now = utcnow()
    running, done = _run(1, finished=False), _run(2, finished=True)
    first = plan_tick(HistoryCursor(), [running, done], now, limit=10)
    assert [r["id"] for r in first.finished] == [2]
    assert (first.cursor.after_id, first.cursor.done) == (0, {2})  # 1 holds the watermark

    again = plan_tick(first.cursor, [running, done], now, limit=10)
    assert again.finished == []

    running["finished_at"] = now
    last = plan_tick(first.cursor, [running, done], now, limit=10)
    assert [r["id"] for r in last.finished] == [1]
    assert (last.cursor.after_id, last.cursor.done) == (2, set())


def test_the_watermark_lags_so_a_late_committed_id_is_not_passed() -> None:
    young = _run(5, finished=True, age=WATERMARK_LAG / 2)
    plan = plan_tick(HistoryCursor(after_id=4), [young], utcnow(), limit=10)
    assert [r["id"] for r in plan.finished] == [5]
    assert (plan.cursor.after_id, plan.cursor.done) == (4, {5})
    assert HistoryCursor.parse(plan.cursor.dump()) == plan.cursor


def test_an_abandoned_run_stops_holding_the_watermark_and_work_is_capped() -> None:
    killed = _run(1, finished=False, age=ABANDONED_AFTER + timedelta(minutes=1))
    runs = [killed, *(_run(i, finished=True) for i in range(2, 6))]
    first = plan_tick(HistoryCursor(), runs, utcnow(), limit=3)
    assert [r["id"] for r in first.finished] == [2, 3, 4]
    assert first.cursor.after_id == 4
    second = plan_tick(first.cursor, runs[4:], utcnow(), limit=3)
    assert [r["id"] for r in second.finished] == [5]

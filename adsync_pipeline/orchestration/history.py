"""The `push_history` sensor: Dagster shows every set and every push, whoever started it.

Each tick it (1) adds the partition of every campaign set that has none, and (2) reports
each push that finished outside Dagster (`adsync sync --now`, `retry`, `pause`, `resume`,
`conflicts resolve`, the API's in-process runs) as a runless materialization of the set's
`platform_push` partition, with the metadata a Dagster run's push has and the set's checks.

Level-triggered: the store's `sync_runs` says what happened; the cursor only remembers what
was reported. Runs get their row id when they start but finish in any order, so the cursor
is a watermark (every run at or below it is dealt with) plus the ids above it already
reported: a run still going below a finished one holds the watermark, never hides the other.
"""
# No `from __future__ import annotations`: Dagster inspects the context type hints.

import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from dagster import (
    AssetCheckEvaluation,
    AssetKey,
    AssetMaterialization,
    AssetObservation,
    DefaultSensorStatus,
    SensorEvaluationContext,
    SensorResult,
    sensor,
)

from adsync_pipeline.orchestration.checks import PUSH_ASSET, push_check_evaluations
from adsync_pipeline.orchestration.partitions import campaign_sets, set_partition_key
from adsync_pipeline.orchestration.push_report import push_metadata, read_push_report
from adsync_pipeline.orchestration.resources import CampaignStoreResource
from adsync_pipeline.store.campaign_sets import CampaignSetRepository
from adsync_pipeline.store.db import Database
from adsync_pipeline.store.models import utcnow
from adsync_pipeline.store.sync_log import SyncLogRepository

HISTORY_INTERVAL_S = 15
# Runs whose events one tick reports; the rest wait for the next tick, in order.
MAX_REPORTS_PER_TICK = 50
# Pushes started outside Dagster get run ids with this prefix (`sync/runner.py new_run_id`);
# every other run id is a Dagster run's, whose own materialization is already there.
OUTSIDE_DAGSTER_PREFIX = "adsync-"
# The watermark passes a run only once it started this long ago: a PostgreSQL row id taken
# just before it may still be uncommitted, and must not end up below the watermark unseen.
WATERMARK_LAG = timedelta(minutes=2)
# A run still `running` after this long was killed without finishing its row: it will never
# finish, so it stops holding the watermark (and has nothing to report).
ABANDONED_AFTER = timedelta(hours=24)


@dataclass
class HistoryCursor:
    after_id: int = 0  # every run with a row id at or below it is dealt with
    done: set[int] = field(default_factory=set)  # ids above it dealt with

    @classmethod
    def parse(cls, raw: str | None) -> "HistoryCursor":
        if not raw:
            return cls()
        data = json.loads(raw)
        return cls(int(data["after_id"]), {int(i) for i in data["done"]})

    def dump(self) -> str:
        return json.dumps({"after_id": self.after_id, "done": sorted(self.done)})


@dataclass(frozen=True)
class TickPlan:
    finished: list[dict[str, Any]]  # runs finished since the last tick, oldest first
    cursor: HistoryCursor


def plan_tick(
    cursor: HistoryCursor, runs: list[dict[str, Any]], now: datetime, limit: int
) -> TickPlan:
    """Which of `runs` (rows above the watermark, by id) to report now, and the next cursor."""
    done = set(cursor.done)
    finished: list[dict[str, Any]] = []
    for run in runs:
        if run["id"] in done:
            continue
        if run["finished_at"] is not None:
            if len(finished) == limit:
                continue
            finished.append(run)
            done.add(run["id"])
        elif now - run["started_at"] > ABANDONED_AFTER:
            done.add(run["id"])
    after_id = cursor.after_id
    for run in runs:
        if run["id"] not in done or now - run["started_at"] < WATERMARK_LAG:
            break
        after_id = run["id"]
        done.discard(run["id"])
    return TickPlan(finished, HistoryCursor(after_id, done))


@sensor(
    minimum_interval_seconds=HISTORY_INTERVAL_S,
    default_status=DefaultSensorStatus.RUNNING,
    description="Adds a partition for every campaign set, and shows each push made outside "
    "Dagster (CLI, API) as a materialization of its set's platform_push partition.",
)
def push_history(context: SensorEvaluationContext, store: CampaignStoreResource) -> SensorResult:
    cursor = HistoryCursor.parse(context.cursor)
    db = store.database()
    try:
        names = CampaignSetRepository(db).names()
        _add_missing_partitions(context, names)
        log = SyncLogRepository(db)
        # Enough rows that the ones already done cannot crowd out the next to report.
        runs = log.runs_after(cursor.after_id, limit=MAX_REPORTS_PER_TICK + len(cursor.done))
        plan = plan_tick(cursor, runs, utcnow(), MAX_REPORTS_PER_TICK)
        events = _events(db, [r for r in plan.finished if _reportable(r, names)], names)
    finally:
        db.dispose()
    return SensorResult(
        asset_events=events,
        cursor=plan.cursor.dump(),
        skip_reason=None if events else "no push finished outside Dagster since the last tick",
    )


def _add_missing_partitions(context: SensorEvaluationContext, names: dict[int, str]) -> None:
    # Added here and now rather than as a request in the result: the daemon records a
    # result's asset events before its partition requests, and events need their partition.
    wanted = {set_partition_key(set_id, name) for set_id, name in names.items()}
    missing = sorted(wanted - set(context.instance.get_dynamic_partitions(campaign_sets.name)))
    if missing:
        context.instance.add_dynamic_partitions(campaign_sets.name, missing)


def _reportable(run: dict[str, Any], names: dict[int, str]) -> bool:
    return run["run_id"].startswith(OUTSIDE_DAGSTER_PREFIX) and run["campaign_set_id"] in names


def _events(
    db: Database, runs: list[dict[str, Any]], names: dict[int, str]
) -> list[AssetMaterialization | AssetObservation | AssetCheckEvaluation]:
    events: list[AssetMaterialization | AssetObservation | AssetCheckEvaluation] = []
    checked: dict[int, str] = {}
    for run in runs:
        set_id = run["campaign_set_id"]
        key = set_partition_key(set_id, names[set_id])
        report = read_push_report(db, run, names[set_id])
        description = f"pushed outside Dagster ({run['trigger']}), run {run['run_id']}"
        if report.ran:
            events.append(
                AssetMaterialization(
                    asset_key=AssetKey(PUSH_ASSET),
                    partition=key,
                    description=description,
                    metadata=push_metadata(report),
                )
            )
            checked[set_id] = key
        else:
            # Nothing reached the platform (refused, or crashed): seen, but not materialized,
            # as a Dagster run of it would have failed.
            events.append(
                AssetObservation(
                    asset_key=AssetKey(PUSH_ASSET),
                    partition=key,
                    description=f"{description}: {report.cause}",
                    metadata=push_metadata(report),
                )
            )
    # The checks read the set as it is now: once per set, after its latest push.
    for set_id, key in checked.items():
        events.extend(push_check_evaluations(db, set_id, names[set_id], key))
    return events

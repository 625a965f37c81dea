"""What Dagster shows of one push, built from what the store kept of it. The `platform_push`
asset and the `push_history` sensor both use it, so a push made outside Dagster (`adsync
sync --now`, `retry`, `pause`, the API...) reads exactly like one a Dagster run made."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from dagster import MetadataValue, TableColumn, TableRecord, TableSchema

from adsync_pipeline.store.db import Database
from adsync_pipeline.store.sync_log import SyncLogRepository

RESULT_ROWS = 1000
AUDIT_ROWS = 200
# Rows that need a person's eye come first in the results table.
_ATTENTION = ("failed", "skipped")


@dataclass(frozen=True)
class PushReport:
    run: dict[str, Any]  # the run's `sync_runs` row
    set_name: str
    outcomes: list[dict[str, Any]]  # its `sync-progress` event payloads
    audit: list[dict[str, Any]]  # its first AUDIT_ROWS platform calls
    audit_total: int

    @property
    def cause(self) -> str | None:
        """Why the push did not run through (refused, or crashed), in one sentence."""
        summary = self.run.get("summary") or {}
        return summary.get("error") or summary.get("refused")

    @property
    def ran(self) -> bool:
        """The push ran through (entities may have failed: those are data, not a failure)."""
        return self.run["status"] != "refused" and self.cause is None


def read_push_report(db: Database, run: dict[str, Any], set_name: str) -> PushReport:
    log = SyncLogRepository(db)
    return PushReport(
        run=run,
        set_name=set_name,
        outcomes=log.run_outcomes(run["campaign_set_id"], run["run_id"]),
        audit=log.first_audit_rows(run["run_id"], AUDIT_ROWS),
        audit_total=log.count_audit(run["run_id"]),
    )


def push_metadata(report: PushReport) -> dict[str, Any]:
    run = report.run
    summary = run.get("summary") or {}
    metadata: dict[str, Any] = {
        "set": MetadataValue.text(f"{report.set_name} (set {run['campaign_set_id']})"),
        "status": MetadataValue.text(run["status"]),
        "trigger": MetadataValue.text(run.get("trigger") or ""),
        "adsync_run_id": MetadataValue.text(run["run_id"]),
        "synced": run["synced"],
        "failed": run["failed"],
        "skipped": run["skipped"],
        "noop": int(summary.get("noop") or 0),
        "api_calls": run["api_calls"],
        "rate_limited_429s": run["rate_limited"],
        "retries": run["retries"],
        "duration_s": float(summary.get("duration_s") or 0.0),
    }
    if report.cause:
        metadata["cause"] = MetadataValue.text(report.cause)
    metadata["results"] = _results_table(report.outcomes)
    metadata["audit"] = _audit_table(report.audit)
    metadata["audit_calls"] = report.audit_total
    if report.audit_total > len(report.audit):
        metadata["audit_all"] = MetadataValue.text(
            f"the table shows the first {len(report.audit)} of {report.audit_total} calls; "
            f"all: adsync audit {run['campaign_set_id']} --run {run['run_id']} "
            f"--limit {report.audit_total}"
        )
    return metadata


_RESULT_COLUMNS = (
    ("status", "synced, failed or skipped; failed and skipped rows first"),
    ("operation", "create, update, replace or delete"),
    ("entity", "campaign, ad_group, ad or keyword"),
    ("key", "the entity's key path in the set"),
    ("platform_id", "the platform's id for it"),
    ("error", "why it failed or was skipped"),
)


def _results_table(outcomes: list[dict[str, Any]]) -> MetadataValue:
    ordered = sorted(outcomes, key=lambda o: o.get("status") not in _ATTENTION)
    return MetadataValue.table(
        records=[
            TableRecord(
                {
                    "status": o.get("status"),
                    "operation": o.get("operation"),
                    "entity": o.get("entity"),
                    "key": o.get("key"),
                    "platform_id": o.get("platformId") or "",
                    "error": o.get("error") or "",
                }
            )
            for o in ordered[:RESULT_ROWS]
        ],
        schema=TableSchema(
            columns=[TableColumn(name, "string", description=d) for name, d in _RESULT_COLUMNS]
        ),
    )


_AUDIT_COLUMNS = (
    ("time", "string", "when the call was made (UTC)"),
    ("operation", "string", "what the call was for"),
    ("entity", "string", "entity type:key"),
    ("method", "string", "HTTP method"),
    ("path", "string", "API path"),
    ("status", "int", "HTTP status (empty: no answer)"),
    ("latency_ms", "int", "time to answer"),
    ("outcome", "string", "ok, rate_limited, retryable, auth, permanent or unknown_outcome"),
    ("error", "string", "the error, when there was one"),
)


def _audit_table(rows: list[dict[str, Any]]) -> MetadataValue:
    return MetadataValue.table(
        records=[
            TableRecord(
                {
                    "time": _time(row["created_at"]),
                    "operation": row["operation"],
                    "entity": _entity(row),
                    "method": row["method"],
                    "path": row["path"],
                    "status": row["http_status"],
                    "latency_ms": row["latency_ms"],
                    "outcome": row["outcome"],
                    "error": row["error"] or "",
                }
            )
            for row in rows
        ],
        schema=TableSchema(
            columns=[TableColumn(name, kind, description=d) for name, kind, d in _AUDIT_COLUMNS]
        ),
    )


def _time(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%S.%f")[:-3] if value else ""


def _entity(row: dict[str, Any]) -> str:
    if row["entity_type"] is None:
        return ""
    return f"{row['entity_type']}:{row['entity_key'] or ''}"

"""Serving a sync request from a Dagster run: the request row follows the run's life."""

from __future__ import annotations

from adsync_pipeline.config import RedditSettings
from adsync_pipeline.store.db import Database
from adsync_pipeline.store.sync_requests import COMPLETED, FAILED, SyncRequestRepository
from adsync_pipeline.sync.results import PushResult, describe_failure
from adsync_pipeline.sync.runner import run_push


def serve_push(
    db: Database,
    set_id: int,
    *,
    run_id: str,
    trigger: str = "manual",
    request_id: int | None = None,
    settings: RedditSettings | None = None,
) -> PushResult:
    """Run the push for `set_id`, recording the run on the request (when there is one).

    A push that ran is `completed` even with failed entities (they are data, retried by the
    schedule); a refused or crashed push is `failed`.
    """
    requests = SyncRequestRepository(db)
    if request_id is not None:
        requests.mark_running(request_id, run_id)
    try:
        result = run_push(
            db,
            set_id,
            run_id=run_id,
            trigger=trigger,
            request_id=request_id,
            settings=settings,
        )
    except Exception as exc:
        if request_id is not None:
            requests.mark_finished(
                request_id, FAILED, failure_result(run_id, describe_failure(exc))
            )
        raise
    if request_id is not None:
        status = FAILED if result.refused else COMPLETED
        requests.mark_finished(request_id, status, _summary(result))
    return result


def record_run_failure(db: Database, request_id: int, run_id: str, message: str) -> None:
    """A run that died without finishing its request (killed worker) closes it as failed."""
    requests = SyncRequestRepository(db)
    if requests.get(request_id).status in (COMPLETED, FAILED):
        return
    requests.mark_finished(request_id, FAILED, failure_result(run_id, message))


def failure_result(run_id: str, cause: str) -> dict[str, object]:
    """A request's result when its run stopped without a push result: the cause, in the
    same keys a push result gives it."""
    return {"run_id": run_id, "status": "failed", "error": cause, "cause": cause}


def _summary(result: PushResult) -> dict[str, object]:
    summary = result.to_dict()
    # The per-entity list lives in sync_runs and the run's metadata; keep the row small.
    summary.pop("outcomes")
    return summary

"""What routes get from the app: the database, the launcher, and bounded id parameters."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import Depends, Path, Request

from adsync_pipeline.domain.model import EntityStatus
from adsync_pipeline.store.db import Database
from adsync_pipeline.sync.results import PushResult
from adsync_pipeline.sync.runner import run_push

# Ids are INTEGER columns: anything larger can't exist, and would overflow the driver.
MAX_ID = 2_147_483_647

SetId = Annotated[int, Path(alias="setId", ge=1, le=MAX_ID, description="Campaign set id.")]
JobId = Annotated[int, Path(alias="jobId", ge=1, le=MAX_ID, description="Job id.")]
ConflictId = Annotated[int, Path(alias="conflictId", ge=1, le=MAX_ID)]

# (set id, sync request id): runs the request somewhere other than the Dagster daemon.
Launcher = Callable[[int, int], None]
# Pauses or resumes a whole set on its platform and reports what happened.
StatusPusher = Callable[[Database, int, EntityStatus], PushResult]


def push_status(db: Database, set_id: int, status: EntityStatus) -> PushResult:
    return run_push(db, set_id, trigger="api", status=status)


def _db(request: Request) -> Database:
    return request.app.state.db


def _launcher(request: Request) -> Launcher | None:
    return request.app.state.launcher


def _status_pusher(request: Request) -> StatusPusher:
    return request.app.state.status_pusher


def _caller(request: Request) -> str | None:
    name = request.scope.get("state", {}).get("api_key_name")
    return f"api key {name}" if name else None


Db = Annotated[Database, Depends(_db)]
LauncherDep = Annotated[Launcher | None, Depends(_launcher)]
Caller = Annotated[str | None, Depends(_caller)]
StatusPusherDep = Annotated[StatusPusher, Depends(_status_pusher)]

"""The FastAPI application: thin routes over `sync/` and `store/`, behind API keys."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import Depends, FastAPI

from adsync_pipeline.api import conflicts, jobs, sets, stream
from adsync_pipeline.api.auth import ApiKeyMiddleware, bearer_scheme
from adsync_pipeline.api.deps import Launcher, StatusPusher, push_status
from adsync_pipeline.api.errors import install_error_handlers
from adsync_pipeline.api.event_feed import EventFeeds
from adsync_pipeline.api.limits import ApiLimits, BodyLimitMiddleware, StreamSlots
from adsync_pipeline.api.schemas import Health
from adsync_pipeline.api.stream import StreamSettings
from adsync_pipeline.store.db import Database
from adsync_pipeline.store.migrate import migrated_database


def create_app(
    db: Database | None = None,
    *,
    launcher: Launcher | None = None,
    status_pusher: StatusPusher = push_status,
    stream_settings: StreamSettings | None = None,
    limits: ApiLimits | None = None,
) -> FastAPI:
    """The API over `db` (default: the configured database, migrated first).

    `launcher` also runs each queued sync request (e.g. in-process, without Dagster);
    without it, requests wait for the Dagster sensor. `limits` bound request bodies and open
    event streams (default: `ApiLimits()`; `adsync api serve` reads them from the environment).
    """
    owned = db is None
    database = db or migrated_database()

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        yield
        if owned:
            database.dispose()

    app = FastAPI(
        title="adsync",
        version="1",
        summary="Push campaign sets to ad platforms; follow sync jobs; settle conflicts.",
        # Interactive docs can't send a bearer key from a browser; /openapi.json is served.
        docs_url=None,
        redoc_url=None,
        lifespan=lifespan,
        # Operation ids are the route functions' names: short, stable, used by links.
        generate_unique_id_function=lambda route: route.name,
    )
    app.state.db = database
    app.state.launcher = launcher
    app.state.status_pusher = status_pusher
    app.state.stream_settings = stream_settings or StreamSettings()
    app.state.limits = limits or ApiLimits()
    app.state.stream_slots = StreamSlots(app.state.limits)
    app.state.event_feeds = EventFeeds(database, app.state.stream_settings.poll_interval_s)
    install_error_handlers(app)
    secured = [Depends(bearer_scheme)]
    for module in (sets, stream, jobs, conflicts):
        app.include_router(module.router, dependencies=secured)

    @app.get("/health", tags=["health"], summary="Liveness; needs no key")
    def health() -> Health:
        return Health(status="ok")

    # The last added runs first: a caller without a key gets 401 before any body limit.
    app.add_middleware(BodyLimitMiddleware, limits=app.state.limits)
    app.add_middleware(ApiKeyMiddleware, db=database)
    return app

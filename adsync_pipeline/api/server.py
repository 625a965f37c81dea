"""`adsync api serve`: the API under uvicorn."""

from __future__ import annotations

import uvicorn

from adsync_pipeline.api.access_log import log_config
from adsync_pipeline.api.app import create_app
from adsync_pipeline.api.limits import ApiLimits
from adsync_pipeline.store.migrate import migrated_database


def serve(host: str, port: int, *, run_in_process: bool = False) -> None:
    limits = ApiLimits.from_env()
    db = migrated_database()
    launcher = None
    if run_in_process:
        from adsync_pipeline.api.launcher import InProcessLauncher

        launcher = InProcessLauncher(db)
    try:
        uvicorn.run(
            create_app(db, launcher=launcher, limits=limits),
            host=host,
            port=port,
            log_level="info",
            log_config=log_config(),
        )
    finally:
        if launcher is not None:
            launcher.shutdown()
        db.dispose()

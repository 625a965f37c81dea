"""Schema migrations, run from code: `upgrade_database()` is idempotent and cheap at head."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection

from adsync_pipeline.store.db import make_engine

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


def alembic_config(connection: Connection) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["connection"] = connection
    return config


def upgrade_connection(connection: Connection, revision: str = "head") -> None:
    command.upgrade(alembic_config(connection), revision)


def upgrade_database(url: str | None = None) -> None:
    """Bring the database at `url` (default: `ADSYNC_DATABASE_URL`) to the latest schema."""
    engine = make_engine(url)
    try:
        with engine.begin() as connection:
            upgrade_connection(connection)
    finally:
        engine.dispose()

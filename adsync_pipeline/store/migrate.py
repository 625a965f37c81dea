"""Schema migrations, run from code: `upgrade_database()` is idempotent and cheap at head."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DBAPIError

from adsync_pipeline.config import ConfigError, database_url
from adsync_pipeline.store.db import Database, make_engine

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


def alembic_config(connection: Connection) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["connection"] = connection
    return config


def upgrade_connection(connection: Connection, revision: str = "head") -> None:
    command.upgrade(alembic_config(connection), revision)


def shown_url(url: str | None = None) -> str:
    """The database URL at `url` (default: the configured one), its password hidden."""
    return make_url(url or database_url()).render_as_string(hide_password=True)


def upgrade_database(url: str | None = None) -> None:
    """Bring the database at `url` (default: `ADSYNC_DATABASE_URL`) to the latest schema."""
    try:
        engine = make_engine(url)
        try:
            with engine.begin() as connection:
                upgrade_connection(connection)
        finally:
            engine.dispose()
    except (DBAPIError, ArgumentError) as exc:
        shown = shown_url(url)
        reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
        raise ConfigError(f"cannot use the database at {shown}: {reason}") from exc


def migrated_database(url: str | None = None) -> Database:
    """The database at `url`, brought to the latest schema first (what every command uses)."""
    upgrade_database(url)
    return Database.from_url(url)

"""Engines and sessions. SQLite gets the pragmas that make it safe for several processes."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError
from sqlalchemy.orm import Session, sessionmaker

from adsync_pipeline.config import ConfigError, database_url


def make_engine(url: str | None = None, **kwargs: Any) -> Engine:
    raw = url or database_url()
    try:
        parsed = make_url(raw)
    except ArgumentError as exc:
        raise ConfigError(f"ADSYNC_DATABASE_URL is not a database URL: {raw!r}") from exc
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(parsed, connect_args={"timeout": 30}, **kwargs)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    if parsed.drivername == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")
    return create_engine(parsed, pool_pre_ping=True, **kwargs)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    # WAL lets the Dagster run worker write while the CLI or API reads.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    # With WAL, NORMAL survives a killed process; only an OS crash could lose the last commit.
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


@contextmanager
def transaction(factory: sessionmaker[Session]) -> Iterator[Session]:
    """One committed unit of work: commit on success, roll back on any error."""
    with factory() as session, session.begin():
        yield session


class Database:
    """An engine and its session factory: what every repository in `store/` is built on."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.sessions = make_session_factory(engine)

    @classmethod
    def from_url(cls, url: str | None = None) -> Database:
        return cls(make_engine(url))

    def transaction(self) -> AbstractContextManager[Session]:
        return transaction(self.sessions)

    def dispose(self) -> None:
        self.engine.dispose()

"""The API served by uvicorn on loopback (a free port), spoken to over real HTTP."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import uvicorn
from fastapi import FastAPI

from adsync_pipeline.api.app import create_app
from adsync_pipeline.api.stream import StreamSettings
from adsync_pipeline.store.api_keys import ApiKeyRepository
from adsync_pipeline.store.db import Database
from adsync_pipeline.store.migrate import upgrade_database

EXAMPLE = Path(__file__).resolve().parents[2] / "adsync_pipeline" / "examples" / "summer-sale.json"
FAST_STREAMS = StreamSettings(poll_interval_s=0.02, heartbeat_s=0.5, retry_ms=100)


@dataclass(frozen=True)
class RunningApi:
    app: FastAPI
    base_url: str


@contextmanager
def serve(app: FastAPI) -> Iterator[RunningApi]:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the API did not start")
        time.sleep(0.01)
    try:
        yield RunningApi(app, f"http://127.0.0.1:{sock.getsockname()[1]}")
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


@pytest.fixture
def api_db(tmp_path: Path) -> Iterator[Database]:
    url = f"sqlite:///{tmp_path / 'adsync.db'}"
    upgrade_database(url)
    db = Database.from_url(url)
    yield db
    db.dispose()


@pytest.fixture
def api_key(api_db: Database) -> str:
    return ApiKeyRepository(api_db).create("tests")[1]


@pytest.fixture
def api(api_db: Database) -> Iterator[RunningApi]:
    with serve(create_app(api_db, stream_settings=FAST_STREAMS)) as running:
        yield running


@pytest.fixture
def client(api: RunningApi, api_key: str) -> Iterator[httpx.Client]:
    headers = {"Authorization": f"Bearer {api_key}"}
    with httpx.Client(base_url=api.base_url, headers=headers, timeout=10) as http:
        yield http


@pytest.fixture
def example_text() -> str:
    return EXAMPLE.read_text(encoding="utf-8")

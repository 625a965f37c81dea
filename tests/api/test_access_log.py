"""The access log of `adsync api serve` never shows a secret."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from adsync_pipeline.api.access_log import redact
from adsync_pipeline.store.api_keys import ApiKeyRepository
from adsync_pipeline.store.db import Database
from adsync_pipeline.store.migrate import upgrade_database


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_keys_and_tokens_in_the_query_string_are_not_logged(tmp_path: Path):
    url = f"sqlite:///{tmp_path / 'adsync.db'}"
    upgrade_database(url)
    db = Database.from_url(url)
    key = ApiKeyRepository(db).create("logs")[1]
    db.dispose()
    port = _free_port()
    env = {
        **os.environ,
        "ADSYNC_DATABASE_URL": url,
        "DAGSTER_HOME": str(tmp_path / "dagster_home"),
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
    }
    server = subprocess.Popen(
        [sys.executable, "-m", "adsync_pipeline", "api", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                httpx.get(base + "/health")
                break
            except httpx.TransportError:
                assert server.poll() is None and time.monotonic() < deadline, "no server"
                time.sleep(0.2)
        refused = httpx.get(base + "/api/v1/campaign-sets", params={"api_key": key, "n": "1"})
        assert refused.status_code == 401
        served = httpx.get(
            base + "/api/v1/campaign-sets",
            params={"access_token": "tok-123", "clientSecret": "s-456", "jobId": "7"},
            headers={"Authorization": f"Bearer {key}"},
        )
        assert served.status_code == 200
    finally:
        server.send_signal(signal.SIGINT)
        log, _ = server.communicate(timeout=30)
    assert key not in log and key.removeprefix("adsk_") not in log
    assert "tok-123" not in log and "s-456" not in log
    assert "/api/v1/campaign-sets?api_key=[redacted]&n=1" in log
    assert "access_token=[redacted]&clientSecret=[redacted]&jobId=7" in log


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("/x?key=a&keyword=shoes", "/x?key=[redacted]&keyword=shoes"),
        (
            "/x?apiKey=a;token=b&Sig-Signature=c",
            "/x?apiKey=[redacted];token=[redacted]&Sig-Signature=[redacted]",
        ),
        ("/x?api%5Fkey=a&secret", "/x?api%5Fkey=[redacted]&secret=[redacted]"),
        ("Authorization: Bearer abc.def", "Authorization: Bearer [redacted]"),
        ("key adsk_AbC-d_9 leaked", "key adsk_[redacted] leaked"),
    ],
)
def test_redaction(text: str, shown: str):
    assert redact(text) == shown

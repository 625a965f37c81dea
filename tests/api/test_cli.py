"""`adsync api keys ...` and `adsync api serve`, as a person runs them."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from adsync_pipeline.cli import main


def run(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], *args: str):
    monkeypatch.setattr(sys, "argv", ["adsync", *args])
    code = 0
    try:
        main()
    except SystemExit as exc:
        code = int(exc.code or 0)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.fixture
def db_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    url = f"sqlite:///{tmp_path / 'adsync.db'}"
    monkeypatch.setenv("ADSYNC_DATABASE_URL", url)
    return url


def test_keys_create_list_revoke(
    db_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
):
    code, out, err = run(monkeypatch, capsys, "api", "keys", "create", "builder")
    assert code == 0
    key = out.strip()
    assert key.startswith("adsk_") and "cannot be shown again" in err

    code, out, _ = run(monkeypatch, capsys, "api", "keys", "create", "builder")
    assert code == 1  # names are unique; the error is one line on stderr

    code, out, _ = run(monkeypatch, capsys, "api", "keys", "list", "--json")
    listed = json.loads(out)
    assert [(k["name"], k["revoked_at"]) for k in listed] == [("builder", None)]
    assert key.startswith(listed[0]["prefix"]) and key not in out

    assert run(monkeypatch, capsys, "api", "keys", "revoke", "builder")[0] == 0
    code, out, _ = run(monkeypatch, capsys, "api", "keys", "list")
    assert "builder" in out and "revoked" in out
    assert run(monkeypatch, capsys, "api", "keys", "revoke", "nobody")[0] == 1


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_serve_answers_with_a_key(
    db_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
):
    key = run(monkeypatch, capsys, "api", "keys", "create", "serve-test")[1].strip()
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "adsync_pipeline", "api", "serve", "--port", str(port)],
        env={**os.environ, "ADSYNC_DATABASE_URL": db_url},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                assert httpx.get(f"{base}/health").status_code == 200
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline, "adsync api serve did not start"
                time.sleep(0.1)
        assert httpx.get(f"{base}/api/v1/campaign-sets").status_code == 401
        authorized = httpx.get(
            f"{base}/api/v1/campaign-sets", headers={"Authorization": f"Bearer {key}"}
        )
        assert (authorized.status_code, authorized.json()) == (200, [])
    finally:
        server.terminate()
        server.wait(timeout=10)

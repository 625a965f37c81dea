from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from adsync_pipeline.store.alerts import AlertRepository
from adsync_pipeline.store.db import Database
from adsync_pipeline.sync.alerts import raise_alert


class Webhook:
    """A loopback HTTP server that records JSON bodies and answers with scripted statuses."""

    def __init__(self) -> None:
        self.bodies: list[dict[str, Any]] = []
        self.statuses: list[int] = []
        hook = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's naming
                length = int(self.headers["Content-Length"])
                hook.bodies.append(json.loads(self.rfile.read(length)))
                self.send_response(hook.statuses.pop(0) if hook.statuses else 204)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"


@pytest.fixture
def webhook(monkeypatch: pytest.MonkeyPatch) -> Iterator[Webhook]:
    hook = Webhook()
    thread = threading.Thread(target=hook.server.serve_forever, daemon=True)
    thread.start()
    monkeypatch.setenv("ADSYNC_ALERT_WEBHOOK_URL", hook.url)
    yield hook
    hook.server.shutdown()
    hook.server.server_close()


def test_alert_is_recorded_and_posted(store: Database, webhook: Webhook) -> None:
    alert = raise_alert(store, "run_failed", "boom", campaign_set_id=7, dedupe_key="run:1")
    assert alert is not None
    (body,) = webhook.bodies
    assert body["kind"] == "run_failed" and body["message"] == "boom"
    assert body["campaign_set_id"] == 7
    (stored,) = AlertRepository(store).list()
    assert stored.delivered_at is not None


def test_dedupe_key_raises_once(store: Database, webhook: Webhook) -> None:
    assert raise_alert(store, "run_failed", "boom", dedupe_key="run:1") is not None
    assert raise_alert(store, "run_failed", "boom", dedupe_key="run:1") is None
    assert len(webhook.bodies) == 1
    assert len(AlertRepository(store).list()) == 1


def test_webhook_5xx_is_retried(store: Database, webhook: Webhook) -> None:
    webhook.statuses = [503, 500]
    raise_alert(store, "run_failed", "boom")
    assert len(webhook.bodies) == 3
    assert AlertRepository(store).list()[0].delivered_at is not None


def test_undeliverable_webhook_is_logged_not_raised(
    store: Database, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("ADSYNC_ALERT_WEBHOOK_URL", "http://127.0.0.1:9/nothing-listens")
    alert = raise_alert(store, "run_failed", "boom")
    assert alert is not None
    assert AlertRepository(store).list()[0].delivered_at is None
    assert "not delivered" in caplog.text

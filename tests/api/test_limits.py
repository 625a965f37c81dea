"""Request bodies are bounded while they are read, over a real server on loopback."""

from __future__ import annotations

import socket
import tracemalloc
from collections.abc import Iterator
from urllib.parse import urlsplit

import httpx
import pytest

from adsync_pipeline.api.app import create_app
from adsync_pipeline.api.limits import ApiLimits
from adsync_pipeline.config import ConfigError
from adsync_pipeline.store.db import Database
from tests.api.conftest import RunningApi, serve

MB = 1024 * 1024


@pytest.fixture
def small_api(api_db: Database) -> Iterator[RunningApi]:
    with serve(create_app(api_db, limits=ApiLimits(document_bytes=MB))) as running:
        yield running


class Upload:
    """A chunked body of `total` bytes that counts what the client got to send."""

    def __init__(self, total: int, chunk: int = 256 * 1024) -> None:
        self.total, self.chunk, self.sent = total, chunk, 0

    def __iter__(self) -> Iterator[bytes]:
        while self.sent < self.total:
            self.sent += self.chunk
            yield b" " * self.chunk


@pytest.mark.parametrize(
    ("method", "path", "limit"),
    [
        ("POST", "/api/v1/campaign-sets", MB),
        ("PUT", "/api/v1/campaign-sets/{set_id}", MB),
        ("POST", "/api/v1/conflicts/1/resolve", ApiLimits().body_bytes),
    ],
)
def test_a_chunked_upload_is_refused_as_soon_as_it_passes_the_limit(
    small_api: RunningApi, api_key: str, example_text: str, method: str, path: str, limit: int
):
    headers = {"Authorization": f"Bearer {api_key}", "Content-Type": "application/json"}
    if "{set_id}" in path:
        created = httpx.post(
            small_api.base_url + "/api/v1/campaign-sets", content=example_text, headers=headers
        )
        path = path.format(set_id=created.json()["id"])
    upload = Upload(64 * MB)
    tracemalloc.start()
    try:
        response = httpx.request(
            method,
            small_api.base_url + path,
            content=upload,
            headers=headers,
            timeout=30,
        )
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert response.status_code == 413, response.text
    error = response.json()["error"]
    assert error["code"] == "too_large"
    assert f"{method} {path} accepts at most {limit} bytes" in error["message"]
    # Nothing near the upload was held (client and server share this process), and the
    # server closed the connection instead of swallowing the rest.
    assert peak < 8 * MB
    assert upload.sent < 32 * MB


def test_a_declared_length_over_the_limit_is_refused_before_the_body(
    small_api: RunningApi, api_key: str
):
    address = urlsplit(small_api.base_url)
    with socket.create_connection((address.hostname, address.port), timeout=5) as sock:
        sock.sendall(
            b"POST /api/v1/campaign-sets HTTP/1.1\r\nHost: test\r\n"
            + f"Authorization: Bearer {api_key}\r\n".encode()
            + b"Content-Type: application/json\r\nContent-Length: 900000000\r\n\r\n"
        )
        # No body sent: an answer now means the length alone was judged.
        head = sock.recv(65536).decode()
    assert head.startswith("HTTP/1.1 413"), head
    assert "connection: close" in head.lower()
    assert '"too_large"' in head or "too_large" in sock.recv(65536).decode()


def test_without_a_key_the_answer_is_401_before_any_limit(small_api: RunningApi):
    response = httpx.post(
        small_api.base_url + "/api/v1/campaign-sets",
        content=b"x" * (2 * MB),
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 401


def test_bodies_within_the_limits_are_read(small_api: RunningApi, api_key: str):
    response = httpx.post(
        small_api.base_url + "/api/v1/conflicts/1/resolve",
        json={"use": "local"},
        headers={"Authorization": f"Bearer {api_key}"},
    )
    assert response.status_code == 404, response.text


def test_limits_come_from_the_environment():
    limits = ApiLimits.from_env(
        {
            "ADSYNC_API_MAX_BODY_BYTES": "1000",
            "ADSYNC_API_MAX_STREAMS": "7",
            "ADSYNC_API_MAX_STREAMS_PER_KEY": "2",
        }
    )
    assert (limits.document_bytes, limits.streams, limits.streams_per_key) == (1000, 7, 2)
    assert ApiLimits.from_env({}) == ApiLimits()
    with pytest.raises(ConfigError, match="ADSYNC_API_MAX_STREAMS must be a positive"):
        ApiLimits.from_env({"ADSYNC_API_MAX_STREAMS": "0"})

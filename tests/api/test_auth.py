"""Every route but /health needs a live API key; 401 comes before routing."""

from __future__ import annotations

import re

import httpx
import pytest

from adsync_pipeline.store.api_keys import ApiKeyRepository
from adsync_pipeline.store.db import Database
from tests.api.conftest import RunningApi


def concrete(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "1", path)


def every_route(api: RunningApi) -> list[tuple[str, str]]:
    """Every operation the app serves (its OpenAPI document lists each route's methods)."""
    found = [
        (method.upper(), concrete(path))
        for path, operations in api.app.openapi()["paths"].items()
        if path != "/health"
        for method in operations
    ]
    found.append(("GET", "/openapi.json"))
    assert len(found) >= 14
    return found


@pytest.mark.parametrize(
    "authorization",
    [None, "Bearer adsk_wrong", "Bearer", "Basic dXNlcjpwYXNz", "adsk_no_scheme"],
    ids=["missing", "wrong-key", "empty", "basic", "no-scheme"],
)
def test_every_route_refuses_without_a_valid_key(api: RunningApi, authorization: str | None):
    headers = {"Authorization": authorization} if authorization is not None else {}
    with httpx.Client(base_url=api.base_url, headers=headers) as http:
        for method, path in every_route(api):
            response = http.request(method, path, json={"use": "local"})
            assert response.status_code == 401, (method, path, response.text)
            assert response.json()["error"]["code"] == "unauthorized"
            assert response.headers["www-authenticate"].startswith("Bearer")


def test_revoked_key_is_refused_at_once(api: RunningApi, api_db: Database, api_key: str):
    headers = {"Authorization": f"Bearer {api_key}"}
    with httpx.Client(base_url=api.base_url, headers=headers) as http:
        assert http.get("/api/v1/campaign-sets").status_code == 200
        ApiKeyRepository(api_db).revoke("tests")
        assert http.get("/api/v1/campaign-sets").status_code == 401


def test_health_is_open_and_unknown_paths_are_401_then_404(api: RunningApi, api_key: str):
    with httpx.Client(base_url=api.base_url) as http:
        assert http.get("/health").json() == {"status": "ok"}
        assert http.get("/nope").status_code == 401
        authorized = http.get("/nope", headers={"Authorization": f"Bearer {api_key}"})
        assert authorized.status_code == 404
        assert authorized.json()["error"]["code"] == "not_found"


def test_keys_are_stored_hashed_and_shown_by_prefix(api_db: Database):
    repo = ApiKeyRepository(api_db)
    record, key = repo.create("app")
    assert key.startswith("adsk_") and len(key) > 40
    assert key.startswith(record.prefix)
    assert repo.authenticate(key) is not None
    assert repo.authenticate(key + "x") is None
    with api_db.engine.connect() as conn:
        stored = conn.exec_driver_sql("SELECT key_hash FROM api_keys").scalar_one()
    assert key not in stored and stored != key

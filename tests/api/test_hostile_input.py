"""Hostile request bodies and poisoned stored sets over HTTP, on SQLite and PostgreSQL: a
body is a 422 with located problems (never a 500), an unreadable set a 409 naming why, and
a valid PUT or a DELETE still repairs or archives it."""

from __future__ import annotations

import json
from collections.abc import Iterator

import httpx
import pytest
from sqlalchemy import text

from adsync_pipeline.api.app import create_app
from adsync_pipeline.store.api_keys import ApiKeyRepository
from adsync_pipeline.store.campaign_sets import CampaignSetRepository
from adsync_pipeline.store.db import Database
from tests.api.conftest import EXAMPLE, FAST_STREAMS, serve

SETS = "/api/v1/campaign-sets"
JSON = {"Content-Type": "application/json"}


@pytest.fixture
def http(database: Database) -> Iterator[httpx.Client]:
    key = ApiKeyRepository(database).create("tests")[1]
    with serve(create_app(database, stream_settings=FAST_STREAMS)) as running:
        headers = {"Authorization": f"Bearer {key}", **JSON}
        with httpx.Client(base_url=running.base_url, headers=headers, timeout=30) as client:
            yield client


def example() -> str:
    return EXAMPLE.read_text(encoding="utf-8")


def named(name: str) -> str:
    """The example with another name, written with JSON escapes (as a client would send a
    lone surrogate or a NUL)."""
    doc = json.loads(example())
    doc["name"] = name
    return json.dumps(doc)


BODIES = {
    "duplicate key": (
        example().replace('"amount": 50.0', '"amount": 5000000, "amount": 50', 1),
        "campaigns[0].budget.amount",
        "duplicate key (each key may appear once)",
    ),
    "nesting": ("[" * 100_000 + "]" * 100_000, "(document)", "nested deeper than 32 levels"),
    "digits": (
        example().replace('"amount": 50.0', '"amount": 1' + "0" * 5000, 1),
        "campaigns[0].budget.amount",
        "must be at most 1000000000.00",
    ),
    "1e28": (
        example().replace('"amount": 50.0', '"amount": 1e28', 1),
        "campaigns[0].budget.amount",
        "must be at most 1000000000.00 (got 1E+28)",
    ),
    "string amount": (
        example().replace('"amount": 1.25', '"amount": "1.25"', 1),
        "campaigns[0].ad_groups[0].bidding.amount",
        "must be a number (got '1.25')",
    ),
    "lone surrogate": (named("Bad \ud800 name"), "name", "must not contain a lone surrogate"),
    "nul": (named("NUL\x00name"), "name", "must not contain a control character: U+0000"),
}


@pytest.mark.parametrize("case", sorted(BODIES))
def test_hostile_bodies_are_422_with_their_problem(http: httpx.Client, case: str) -> None:
    body, path, message = BODIES[case]
    response = http.post(SETS, content=body)
    assert response.status_code == 422, response.text
    (problem,) = response.json()["error"]["problems"]
    assert problem["path"] == path and message in problem["message"], problem
    assert http.get(SETS).json() == []


def poison(db: Database, set_id: int) -> None:
    with db.engine.begin() as conn:
        amount = ":v" if conn.dialect.name == "sqlite" else "CAST(:v AS NUMERIC)"
        value = "10000000000000000000000000000" if conn.dialect.name == "sqlite" else "NaN"
        conn.execute(
            text(
                f"UPDATE campaigns SET budget_amount = {amount} "
                "WHERE campaign_set_id = :id AND key = 'shoes'"
            ),
            {"v": value, "id": set_id},
        )


def test_an_unreadable_set_is_409_and_a_put_repairs_it(
    http: httpx.Client, database: Database
) -> None:
    bad = http.post(SETS, content=example()).json()["id"]
    good = http.post(SETS, content=named("Other set")).json()["id"]
    poison(database, bad)

    response = http.get(f"{SETS}/{bad}")
    assert response.status_code == 409, response.text
    message = response.json()["error"]["message"]
    assert message.startswith(f"campaign set {bad} 'Summer Sale 2026' cannot be read: ")
    assert "campaign 'shoes'" in message and "budget_amount" in message
    assert http.get(f"{SETS}/{good}").status_code == 200
    assert [s["id"] for s in http.get(SETS).json()] == [bad, good]
    # Creating it again is still refused, with the reason rather than a 500.
    assert http.post(SETS, content=example()).status_code == 409

    repaired = http.put(f"{SETS}/{bad}", content=example())
    assert repaired.status_code == 200, repaired.text
    detail = http.get(f"{SETS}/{bad}")
    assert detail.status_code == 200
    assert detail.json()["campaigns"][0]["budget"]["amount"] == "50"


def test_an_unreadable_set_can_be_archived(http: httpx.Client, database: Database) -> None:
    set_id = http.post(SETS, content=example()).json()["id"]
    poison(database, set_id)
    response = http.delete(f"{SETS}/{set_id}")
    assert response.status_code == 202, response.text
    stored = CampaignSetRepository(database).load(set_id)
    assert stored.status.value == "archived"
    assert all(c.sync.removed for c in stored.campaigns)

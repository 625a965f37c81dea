"""Hostile files and poisoned stores through the real `adsync` entry point, on SQLite and
PostgreSQL: a rejected file exits 2 with its problems and no traceback, leaving the store
untouched; a set whose stored row cannot be read answers one line and blocks nothing else."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from tests.cli.conftest import EXAMPLE


def example_text() -> str:
    return EXAMPLE.read_text(encoding="utf-8")


def with_name(name: str) -> str:
    doc = json.loads(example_text())
    doc["name"] = name
    return json.dumps(doc)


HOSTILE = {
    "deep": ("[" * 100_000 + "]" * 100_000, "nested deeper than 32 levels"),
    "digits": (
        example_text().replace('"amount": 50.0', '"amount": 1' + "0" * 5000, 1),
        "campaigns[0].budget.amount: must be at most 1000000000.00",
    ),
    "huge": (
        example_text().replace('"amount": 50.0', '"amount": 1e28', 1),
        "campaigns[0].budget.amount: must be at most 1000000000.00 (got 1E+28)",
    ),
    "overflow": (
        example_text().replace('"amount": 50.0', '"amount": 1e309', 1),
        "campaigns[0].budget.amount: must be at most 1000000000.00 (got 1E+309)",
    ),
    "trillion": (
        example_text().replace('"amount": 50.0', '"amount": 1000000000000', 1),
        "campaigns[0].budget.amount: must be at most 1000000000.00",
    ),
    "surrogate": (with_name("Bad \ud800 name"), "name: must not contain a lone surrogate"),
    "nul": (with_name("NUL\x00name"), "name: must not contain a control character: U+0000"),
    "crlf": (with_name("Evil\r\n   9  Forged"), "name: must not contain a control character"),
    "duplicate": (
        example_text().replace('"amount": 50.0', '"amount": 5000000, "amount": 50', 1),
        "campaigns[0].budget.amount: duplicate key",
    ),
    "string": (
        example_text().replace('"amount": 50.0', '"amount": "10"', 1),
        "campaigns[0].budget.amount: must be a number (got '10')",
    ),
}


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_a_hostile_file_exits_2_and_touches_nothing(
    adsync, env_db: str, tmp_path: Path, case: str
) -> None:
    content, expected = HOSTILE[case]
    path = tmp_path / f"{case}.json"
    path.write_text(content, encoding="utf-8", errors="surrogatepass")
    outcome = adsync("import", str(path))
    assert outcome.code == 2, outcome
    assert outcome.err.startswith("error: 1 problem(s) found:\n")
    assert f"{case}.json: " in outcome.err and expected in outcome.err
    assert "Traceback" not in outcome.err and outcome.out == ""
    assert json.loads(adsync("sets", "list", "--json").out) == []


def poison(db_url: str, set_id: int) -> None:
    """A stored budget no store column can hold, as an older adsync left it (SQLite) or as
    another tool can write it (PostgreSQL's NUMERIC takes NaN)."""
    engine = create_engine(db_url)
    value = "10000000000000000000000000000" if db_url.startswith("sqlite") else "NaN"
    try:
        with engine.begin() as conn:
            amount = ":v" if conn.dialect.name == "sqlite" else "CAST(:v AS NUMERIC)"
            conn.execute(
                text(
                    f"UPDATE campaigns SET budget_amount = {amount} "
                    "WHERE campaign_set_id = :id AND key = 'shoes'"
                ),
                {"v": value, "id": set_id},
            )
    finally:
        engine.dispose()


def test_an_unreadable_set_answers_one_line_and_blocks_nothing(
    adsync, env_db: str, tmp_path: Path
) -> None:
    other = tmp_path / "other.json"
    other.write_text(with_name("Other set"), encoding="utf-8")
    bad_id = json.loads(adsync("import", str(EXAMPLE), "--json").out)["campaign_set_id"]
    good_id = json.loads(adsync("import", str(other), "--json").out)["campaign_set_id"]
    poison(env_db, bad_id)

    for command in (
        ("status", str(bad_id)),
        ("status", str(bad_id), "--json"),
        ("plan", str(bad_id)),
    ):
        outcome = adsync(*command)
        assert outcome.code == 1, (command, outcome)
        assert outcome.err.startswith(
            f"error: campaign set {bad_id} 'Summer Sale 2026' cannot be read: campaign 'shoes' (id "
        ), outcome.err
        assert outcome.err.count("\n") == 1 and "Traceback" not in outcome.err
    assert adsync("status", str(good_id)).code == 0
    assert adsync("plan", str(good_id)).code == 0

    listed = adsync("sets", "list")
    assert listed.code == 0
    (bad_line,) = [line for line in listed.out.splitlines() if "Summer Sale 2026" in line]
    (good_line,) = [line for line in listed.out.splitlines() if "Other set" in line]
    assert "UNREADABLE: campaign 'shoes'" in bad_line and "budget_amount" in bad_line
    assert "UNREADABLE" not in good_line
    as_json = {s["id"]: s for s in json.loads(adsync("sets", "list", "--json").out)}
    assert as_json[bad_id]["unreadable"] and as_json[good_id]["unreadable"] is None

    # A valid file repairs it in place.
    repaired = adsync("import", str(EXAMPLE), "--json")
    assert repaired.code == 0, repaired.err
    assert json.loads(repaired.out)["campaign_set_id"] == bad_id
    status = json.loads(adsync("status", str(bad_id), "--json").out)
    assert status["campaigns"][0]["budget"]["amount"] == "50"


def test_sets_list_escapes_stored_control_characters(adsync, env_db: str) -> None:
    set_id = json.loads(adsync("import", str(EXAMPLE), "--json").out)["campaign_set_id"]
    engine = create_engine(env_db)
    try:
        with engine.begin() as conn:
            conn.execute(
                text("UPDATE campaign_sets SET name = :name WHERE id = :id"),
                {"name": "Evil\r\n   9  Forged\x1b[2J", "id": set_id},
            )
    finally:
        engine.dispose()
    listed = adsync("sets", "list")
    assert listed.code == 0
    assert not any(char in listed.out for char in "\r\x1b")
    (line,) = [line for line in listed.out.splitlines() if "Forged" in line]
    assert line.split()[0] == str(set_id) and "Evil\\x0d\\x0a   9  Forged\\x1b[2J" in line

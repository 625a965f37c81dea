"""`adsync reconcile`, `conflicts list` and `api keys list`: tables a person can read."""

from __future__ import annotations

import json
import re
from pathlib import Path

import httpx

from adsync_pipeline.sandbox.reddit import RunningSandbox
from tests.cli.conftest import EXAMPLE


def columns(line: str) -> list[str]:
    return re.split(r"\s{2,}", line.strip())


def test_reconcile_and_conflicts_print_tables(
    adsync, pushed_set: int, reddit_sandbox: RunningSandbox, tmp_path: Path
) -> None:
    tree = json.loads(adsync("status", str(pushed_set), "--json").out)
    shoes, bags = (c["platform_id"] for c in tree["campaigns"])
    for platform_id, name in ((shoes, "Renamed on Reddit"), (bags, "Bags on Reddit")):
        url = f"{reddit_sandbox.admin_url}/campaigns/{platform_id}"
        httpx.patch(url, json={"name": name}).raise_for_status()
    doc = json.loads(EXAMPLE.read_text())
    doc["campaigns"][0]["name"] = "Renamed locally"
    local = tmp_path / "local.json"
    local.write_text(json.dumps(doc))
    assert adsync("import", str(local)).code == 0

    reconciled = adsync("reconcile")

    assert reconciled.code == 0, reconciled.err
    summary, blank, header, *rows = reconciled.out.splitlines()
    assert "in 3 list calls" in summary and "1 pulled" in summary
    assert "1 new conflict (0 deleted on platform)" in summary
    assert columns(header) == ["outcome", "entity", "key", "platform id", "pulled", "conflicts"]
    by_key = {columns(row)[2]: columns(row) for row in rows}
    assert by_key["shoes"] == ["conflict", "campaign", "shoes", shoes, "-", "name"]
    assert by_key["bags"] == ["pulled", "campaign", "bags", bags, "name", "-"]

    header, row = adsync("conflicts", "list").out.splitlines()
    assert columns(header) == [
        "id", "set", "entity", "key", "field", "base", "local", "platform", "detected", "state",
    ]  # fmt: skip
    assert columns(row)[1:8] == [
        str(pushed_set), "campaign", "shoes", "name", "'Summer Sale - Shoes'", "'Renamed locally'",
        "'Renamed on Reddit'",
    ]  # fmt: skip
    assert columns(row)[-1] == "open"


def test_api_keys_list_is_a_table(adsync, env_db: str) -> None:
    assert adsync("api", "keys", "list").out == "no API keys yet: adsync api keys create NAME\n"
    created = adsync("api", "keys", "create", "builder")
    assert created.code == 0 and created.out.startswith("adsk_")

    header, row = adsync("api", "keys", "list").out.splitlines()

    assert columns(header) == ["name", "prefix", "created", "last used", "state"]
    name, prefix, _created, used, state = columns(row)
    assert (name, used, state) == ("builder", "never", "live")
    assert created.out.startswith(prefix.removesuffix("…"))


def test_api_keys_create_and_revoke_speak_json(adsync, env_db: str) -> None:
    created = adsync("api", "keys", "create", "builder", "--json")
    assert created.code == 0, created.err
    shown = json.loads(created.out)
    assert shown["name"] == "builder" and shown["key"].startswith(shown["prefix"])

    revoked = json.loads(adsync("api", "keys", "revoke", "builder", "--json").out)

    assert revoked["name"] == "builder" and revoked["revoked_at"]
    assert "key" not in revoked
    missing = adsync("api", "keys", "revoke", "nobody", "--json")
    assert (missing.code, missing.err) == (1, "error: no API key named 'nobody'\n")

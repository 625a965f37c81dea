from __future__ import annotations

import hashlib
import json
import re
from decimal import Decimal
from pathlib import Path

import pytest

from tests.cli.conftest import EXAMPLE


def test_import_then_status_json(adsync, env_db: str) -> None:
    assert adsync("db", "upgrade").code == 0
    imported = adsync("import", str(EXAMPLE), "--json")
    assert imported.code == 0, imported.err
    result = json.loads(imported.out)
    assert result["created"] is True and result["revision"] == 1
    set_id = result["campaign_set_id"]

    status = adsync("status", str(set_id), "--json")
    assert status.code == 0, status.err
    tree = json.loads(status.out)
    campaigns = tree["campaigns"]
    groups = [g for c in campaigns for g in c["ad_groups"]]
    ads = [a for g in groups for a in g["ads"]]
    keywords = [k for g in groups for k in g["keywords"]]
    assert (len(campaigns), len(groups), len(ads), len(keywords)) == (2, 2, 2, 2)
    assert {e["sync_status"] for e in [*campaigns, *groups, *ads, *keywords]} == {"pending"}
    shoes, bags = campaigns
    assert Decimal(shoes["budget"]["amount"]) == Decimal("50.0")
    assert shoes["budget"]["type"] == "daily" and shoes["budget"]["currency"] == "USD"
    assert Decimal(bags["budget"]["amount"]) == Decimal("1200.0")
    assert bags["end_time"] == "2026-12-31T23:00:00+00:00"
    runners, travel = groups
    assert runners["bidding"]["strategy"] == "manual_cpc"
    assert Decimal(runners["bidding"]["amount"]) == Decimal("1.25")
    assert Decimal(travel["bidding"]["amount"]) == Decimal("6.0")
    assert runners["targeting"] == {
        "subreddits": ["running", "marathon"],
        "interests": ["sports"],
        "locations": ["US"],
        "devices": ["mobile", "desktop"],
    }
    assert travel["targeting"]["locations"] == ["DE", "FR"]

    tree_text = adsync("status", str(set_id)).out
    row = next(line for line in tree_text.splitlines() if "marathon training (phrase)" in line)
    assert row.split()[0] == "keyword" and row.split()[-3:] == ["pending", "-", "-"]
    listed = json.loads(adsync("sets", "list", "--json").out)
    assert [(s["id"], s["ads"]) for s in listed] == [(set_id, 2)]

    again = json.loads(adsync("import", str(EXAMPLE), "--json").out)
    assert (again["campaign_set_id"], again["created"], again["changed"]) == (set_id, False, False)


def test_sync_queues_a_request_that_status_shows(adsync, env_db: str) -> None:
    set_id = json.loads(adsync("import", str(EXAMPLE), "--json").out)["campaign_set_id"]
    assert json.loads(adsync("status", str(set_id), "--json").out)["latest_sync_request"] is None

    queued = adsync("sync", str(set_id), "--json")

    assert queued.code == 0, queued.err
    request_id = json.loads(queued.out)["request_id"]
    shown = json.loads(adsync("status", str(set_id), "--json").out)["latest_sync_request"]
    assert (shown["id"], shown["status"], shown["trigger"]) == (request_id, "queued", "cli")
    assert f"latest sync request {request_id}: queued" in adsync("status", str(set_id)).out
    missing = adsync("sync", "999", "--json")
    assert missing.code != 0 and "999" in missing.err and "Traceback" not in missing.err


def test_many_mistakes_exit_2_and_leave_the_db_untouched(
    adsync, sqlite_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("ADSYNC_DATABASE_URL", sqlite_url)
    assert adsync("import", str(EXAMPLE)).code == 0
    db_file = Path(sqlite_url.removeprefix("sqlite:///"))
    before = hashlib.sha256(db_file.read_bytes()).hexdigest()

    doc = json.loads(EXAMPLE.read_text())
    doc["campaigns"][0]["name"] = "x"
    doc["campaigns"][0]["ad_groups"][0]["bidding"]["amount"] = -1
    doc["campaigns"][1]["budget"]["type"] = "weekly"
    doc["campaigns"][1]["ad_groups"][0]["ads"][0]["final_url"] = "shop.example.com/bags"
    bad = tmp_path / "summer.json"
    bad.write_text(json.dumps(doc))
    outcome = adsync("import", str(bad))

    assert outcome.code == 2
    assert "Traceback" not in outcome.err
    for line in [
        "summer.json: campaigns[0].name: must be at least 3 characters (got 1)",
        "summer.json: campaigns[0].ad_groups[0].bidding.amount: must be greater than 0 (got -1)",
        "summer.json: campaigns[1].budget.type: must be one of daily, lifetime (got 'weekly')",
        "summer.json: campaigns[1].ad_groups[0].ads[0].final_url: must be an http(s) URL",
    ]:
        assert line in outcome.err
    assert hashlib.sha256(db_file.read_bytes()).hexdigest() == before


def test_csv_import(adsync, env_db: str, tmp_path: Path) -> None:
    header = (
        "set_name,platform,ad_account_id,campaign_key,campaign_name,objective,budget_type,"
        "budget_amount,ad_group_key,ad_group_name,bid_strategy,bid_amount,keywords,ad_key,"
        "ad_name,headline,final_url"
    )
    row = "CSV set,reddit,t2_csv,c1,Campaign one,CLICKS,daily,20,g1,Group one,manual_cpc,0.5,kw"
    path = tmp_path / "set.csv"
    path.write_text(
        f"{header}\n{row},a1,Ad one,Head,https://example.com/1\n"
        f"{row},a2,Ad two,Head,https://example.com/2\n"
    )
    outcome = adsync("import", str(path))
    assert outcome.code == 0, outcome.err
    assert "1 campaign, 1 ad group, 2 ads, 1 keyword" in outcome.out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("status", "4242"), "error: campaign set 4242 not found"),
        (("import", "{missing}"), "no such file"),
        (("import", "{malformed}"), "not valid JSON"),
    ],
)
def test_errors_are_one_line(
    adsync, env_db: str, tmp_path: Path, args: tuple[str, ...], message: str
) -> None:
    malformed = tmp_path / "broken.json"
    malformed.write_text('{"name": "x",')
    paths = {"missing": str(tmp_path / "nope.json"), "malformed": str(malformed)}
    outcome = adsync(*(a.format(**paths) for a in args))
    assert outcome.code != 0
    assert message in outcome.err
    assert "Traceback" not in outcome.err
    assert len(outcome.err.strip().splitlines()) <= 2  # "N problem(s) found:" + the problem


@pytest.mark.parametrize(
    "url", ["not a url", "nosuchdialect://x", "postgresql+psycopg://nobody@127.0.0.1:1/none"]
)
def test_bad_database_url_is_one_line(adsync, monkeypatch: pytest.MonkeyPatch, url: str) -> None:
    monkeypatch.setenv("ADSYNC_DATABASE_URL", url)
    outcome = adsync("sets", "list")
    assert outcome.code == 1
    assert outcome.err.startswith("error: ") and len(outcome.err.strip().splitlines()) == 1


def test_sets_list_is_a_table_with_a_header(adsync, env_db: str) -> None:
    set_id = json.loads(adsync("import", str(EXAMPLE), "--json").out)["campaign_set_id"]

    header, row = adsync("sets", "list").out.splitlines()

    assert re.split(r"\s{2,}", header)[:4] == ["id", "name", "platform", "ad account"]
    assert "campaigns" in header and "last synced" in header
    assert re.split(r"\s{2,}", row.strip()) == [
        str(set_id), "Summer Sale 2026", "reddit", "t2_sandbox01", "draft", "pending", "1",
        "2", "2", "2", "2", "never", "-",
    ]  # fmt: skip


def test_import_counts_agree_in_number(adsync, env_db: str, tmp_path: Path) -> None:
    doc = json.loads(EXAMPLE.read_text())
    doc["campaigns"] = doc["campaigns"][:1]
    path = tmp_path / "one.json"
    path.write_text(json.dumps(doc))

    outcome = adsync("import", str(path))

    assert "1 campaign, 1 ad group, 1 ad, 2 keywords" in outcome.out, outcome.out

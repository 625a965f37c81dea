from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from adsync_pipeline.domain.model import BudgetType, MatchType
from adsync_pipeline.errors import ValidationFailed
from adsync_pipeline.imports import read_campaign_set
from adsync_pipeline.imports.json_format import parse_json

EXAMPLE = Path(__file__).parents[2] / "adsync_pipeline" / "examples" / "summer-sale.json"


def example() -> dict[str, Any]:
    return json.loads(EXAMPLE.read_text())


def problems_of(doc: Any) -> list[str]:
    with pytest.raises(ValidationFailed) as failed:
        parse_json(json.dumps(doc), "summer.json")
    return failed.value.problems


def test_example_parses_exactly() -> None:
    parsed = read_campaign_set(EXAMPLE)
    shoes, bags = parsed.campaigns
    assert shoes.budget.amount == Decimal("50.0") and bags.budget.type is BudgetType.LIFETIME
    assert [k.key for k in shoes.ad_groups[0].keywords] == ["running shoes", "marathon training"]
    assert shoes.ad_groups[0].keywords[1].match_type is MatchType.PHRASE
    assert bags.ad_groups[0].keywords == []


def test_money_keeps_its_decimal_text() -> None:
    doc = example()
    text = json.dumps(doc).replace('"amount": 1.25', '"amount": 0.10')
    parsed = parse_json(text, "x.json")
    assert str(parsed.campaigns[0].ad_groups[0].bidding.amount) == "0.10"


def test_every_mistake_is_reported_with_its_path() -> None:
    doc = example()
    doc["name"] = "ab"
    shoes, bags = doc["campaigns"]
    shoes["objective"] = "fame"
    shoes["ad_groups"][0]["bidding"]["amount"] = -1
    shoes["ad_groups"][0]["keywords"].append({"text": "Running Shoes", "match_type": "exact"})
    shoes["ad_groups"][0]["ads"][0]["final_url"] = "ftp://shop.example.com"
    bags["key"] = "shoes"
    bags["end_time"] = None
    bags["budget"]["amount"] = 10.005
    bags["budget"]["currency"] = "usd"
    bags["ad_groups"][0]["bidding"]["amount"] = 200
    bags["ad_groups"][0]["ads"][0]["display_url"] = "elsewhere.org"
    bags["ad_groups"][0]["targeting"]["devices"] = ["toaster"]
    bags["ad_groups"][0]["ads"][0]["colour"] = "red"
    problems = problems_of(doc)
    expected = [
        "summer.json: name: must be at least 3 characters",
        "summer.json: campaigns[0].objective: must be one of",
        "summer.json: campaigns[0].ad_groups[0].bidding.amount: must be greater than 0 (got -1)",
        "summer.json: campaigns[0].ad_groups[0].keywords[2].key: duplicate key 'running shoes'",
        "summer.json: campaigns[0].ad_groups[0].ads[0].final_url: must be an http(s) URL",
        "summer.json: campaigns[1].key: duplicate key 'shoes'",
        "summer.json: campaigns[1].end_time: is required with a lifetime budget",
        "summer.json: campaigns[1].budget.amount: must have at most 2 decimals (got 10.005)",
        "summer.json: campaigns[1].budget.currency: must be a 3-letter",
        "summer.json: campaigns[1].ad_groups[0].bidding.amount: CPM bid must be between 3.50",
        "summer.json: campaigns[1].ad_groups[0].ads[0].display_url: must be on the final_url's",
        "summer.json: campaigns[1].ad_groups[0].targeting.devices: must be one of",
        "summer.json: campaigns[1].ad_groups[0].ads[0].colour: unknown field",
    ]
    for start in expected:
        assert any(p.startswith(start) for p in problems), (start, problems)
    assert len(problems) == len(expected), problems


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (lambda d: d["campaigns"][0].pop("name"), "campaigns[0].name: is required"),
        (
            lambda d: d["campaigns"][0].update(end_time="2026-11-01T00:00:00Z"),
            "campaigns[0].end_time: must be after start_time",
        ),
        (
            lambda d: d["campaigns"][0]["ad_groups"][0]["ads"][0].update(
                final_url="https://x.co/" + "a" * 5000
            ),
            "campaigns[0].ad_groups[0].ads[0].final_url: must be at most 5000 characters",
        ),
        (
            lambda d: d["campaigns"][0].update(start_time="2026-12-01T00:00:00"),
            "campaigns[0].start_time: must include a time zone",
        ),
        (
            lambda d: d["campaigns"][0]["ad_groups"][0]["bidding"].pop("amount"),
            "campaigns[0].ad_groups[0].bidding.amount: is required with manual_cpc bidding",
        ),
        (lambda d: d.update(campaigns={}), "campaigns: must be a list"),
    ],
)
def test_single_rules(change: Any, expected: str) -> None:
    doc = example()
    change(doc)
    assert f"summer.json: {expected}" in "\n".join(problems_of(doc))


def test_reddit_objectives_and_optional_fields() -> None:
    doc = example()
    doc["campaigns"][0]["objective"] = "CONVERSIONS"
    group = doc["campaigns"][0]["ad_groups"][0]
    group["optimization_goal"] = "PURCHASE"
    group["keywords"] = [{"key": "rs", "text": "Running Shoes"}]
    ad = group["ads"][0]
    for optional in ("description", "display_url", "status", "call_to_action"):
        ad.pop(optional)
    parsed = parse_json(json.dumps(doc), "x.json")
    campaign = parsed.campaigns[0]
    assert campaign.objective == "CONVERSIONS"
    assert campaign.ad_groups[0].optimization_goal == "PURCHASE"
    assert campaign.ad_groups[0].keywords[0].key == "rs"
    assert campaign.ad_groups[0].ads[0].description == ""


def test_malformed_json_is_one_problem() -> None:
    with pytest.raises(ValidationFailed) as failed:
        parse_json('{"name": ', "broken.json")
    (problem,) = failed.value.problems
    assert problem.startswith("broken.json: line 1, column 10: not valid JSON")

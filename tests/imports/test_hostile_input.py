"""Input that used to crash the parsers or slip through them: each is now a located problem.

Money bounds, duplicate keys, numbers written as text, nesting, huge numbers, lone
surrogates and control characters, in JSON and in CSV cells.
"""

from __future__ import annotations

import json
import unicodedata
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from adsync_pipeline.errors import ValidationFailed
from adsync_pipeline.imports import read_campaign_set
from adsync_pipeline.imports.json_format import MAX_DEPTH, parse_json
from tests.imports.test_csv_format import BAGS, HEADER, SHOES
from tests.imports.test_json_format import example


def problems_of_text(text: str) -> list[str]:
    with pytest.raises(ValidationFailed) as failed:
        parse_json(text, "x.json")
    return failed.value.problems


def problems_of(doc: Any) -> list[str]:
    return problems_of_text(json.dumps(doc))


def only_printable(problems: list[str]) -> bool:
    """No problem line carries a raw control character or surrogate (it could not even be
    written to a UTF-8 terminal)."""
    return all(unicodedata.category(char) not in ("Cc", "Cs") for line in problems for char in line)


@pytest.mark.parametrize(
    ("amount", "reason"),
    [
        ("1e28", "must be at most 1000000000.00 (got 1E+28)"),
        ("1e309", "must be at most 1000000000.00 (got 1E+309)"),
        ("1e999999999999", "must be at most 1000000000.00"),
        ("1000000000.01", "must be at most 1000000000.00 (got 1000000000.01)"),
        ("1" + "0" * 5000, "must be at most 1000000000.00 (got 1000000000"),
        ('"10"', "must be a number (got '10')"),
        ("NaN", "must be a number (got NaN)"),
        ("-Infinity", "must be a number (got -Infinity)"),
        ("true", "must be a number (got True)"),
    ],
    ids=lambda value: value[:20],
)
def test_budget_amount_is_a_bounded_number(amount: str, reason: str) -> None:
    text = json.dumps(example()).replace('"amount": 50.0', f'"amount": {amount}', 1)
    (problem,) = problems_of_text(text)
    assert problem.startswith(f"x.json: campaigns[0].budget.amount: {reason}"), problem


def test_money_at_its_bounds_is_accepted() -> None:
    doc = example()
    text = json.dumps(doc).replace('"amount": 50.0', '"amount": 1000000000', 1)
    text = text.replace('"amount": 1.25', '"amount": 1000000.00', 1)
    parsed = parse_json(text, "x.json")
    assert parsed.campaigns[0].budget.amount == Decimal("1000000000")
    assert parsed.campaigns[0].ad_groups[0].bidding.amount == Decimal("1000000.00")


def test_bid_amount_bound() -> None:
    text = json.dumps(example()).replace('"amount": 1.25', '"amount": 1000000.01', 1)
    assert problems_of_text(text) == [
        "x.json: campaigns[0].ad_groups[0].bidding.amount: must be at most 1000000.00 "
        "(got 1000000.01)"
    ]


def test_duplicate_keys_are_named_with_their_path() -> None:
    text = json.dumps(example()).replace('"amount": 50.0', '"amount": 5000000, "amount": 50', 1)
    assert problems_of_text(text) == [
        "x.json: campaigns[0].budget.amount: duplicate key (each key may appear once)"
    ]
    top = '{"name": "One name", ' + json.dumps(example())[1:]
    assert problems_of_text(top) == ["x.json: name: duplicate key (each key may appear once)"]


def test_nesting_is_capped_without_a_recursion_error() -> None:
    assert problems_of_text("[" * 100_000 + "]" * 100_000) == [
        f"x.json: (document): nested deeper than {MAX_DEPTH} levels"
    ]
    doc = example()
    doc["campaigns"][0]["colour"] = json.loads("[" * 50 + "]" * 50)
    (problem,) = problems_of(doc)
    assert problem.startswith("x.json: campaigns[0].colour")
    assert problem.endswith(f": nested deeper than {MAX_DEPTH} levels")


def test_a_huge_integer_anywhere_is_a_value_not_a_crash() -> None:
    doc = example()
    text = json.dumps(doc).replace('"Summer Sale 2026"', "9" * 5001, 1)
    (problem,) = problems_of_text(text)
    assert problem.startswith("x.json: name: must be a string (got 999")


AD_PATH = ("campaigns", 0, "ad_groups", 0, "ads", 0)
GROUP_PATH = ("campaigns", 0, "ad_groups", 0)


@pytest.mark.parametrize(
    ("where", "value", "expected"),
    [
        (
            ("name",),
            "Bad \ud800 name",
            "name: must not contain a lone surrogate: U+D800 at character 5",
        ),
        (
            ("name",),
            "Evil\r\n   9  Forged",
            "name: must not contain a control character: U+000D at character 5",
        ),
        (
            ("name",),
            "NUL\x00name",
            "name: must not contain a control character: U+0000 at character 4",
        ),
        (
            ("campaigns", 0, "key"),
            "sh\toes",
            "campaigns[0].key: must not contain a control character: U+0009",
        ),
        (
            (*AD_PATH, "headline"),
            "Line one\nLine two",
            "ads[0].headline: must not contain a control character: U+000A",
        ),
        (
            (*AD_PATH, "description"),
            "Escape \x1b[31m",
            "ads[0].description: must not contain a control character (tabs and line breaks "
            "are): U+001B",
        ),
        (
            (*GROUP_PATH, "keywords", 0, "text"),
            "run\u2028ning",
            "keywords[0].text: must not contain a control character: U+2028",
        ),
        (
            (*GROUP_PATH, "targeting", "subreddits", 0),
            "run\x00ning",
            "targeting.subreddits: item 'run\\x00ning' must not contain a control character",
        ),
    ],
)
def test_text_fields_refuse_control_characters_and_surrogates(
    where: tuple[Any, ...], value: str, expected: str
) -> None:
    doc = example()
    target = doc
    for part in where[:-1]:
        target = target[part]
    target[where[-1]] = value
    problems = problems_of(doc)
    assert len(problems) == 1 and expected in problems[0], problems
    assert only_printable(problems)


def test_a_description_may_hold_tabs_and_line_breaks() -> None:
    doc = example()
    ad = doc["campaigns"][0]["ad_groups"][0]["ads"][0]
    ad["description"] = "First line\n\tsecond line\r\n"
    parsed = parse_json(json.dumps(doc), "x.json")
    assert parsed.campaigns[0].ad_groups[0].ads[0].description == "First line\n\tsecond line\r\n"


def test_a_key_with_control_characters_is_quoted_in_its_problem() -> None:
    doc = example()
    doc["campaigns"][0]["bad\nkey\ud800"] = 1
    (problem,) = problems_of(doc)
    assert problem.startswith('x.json: campaigns[0]["bad\\nkey\\ud800"]: unknown field')
    assert only_printable([problem])


# CSV ------------------------------------------------------------------------------------


def write_csv(tmp_path: Path, header: str, *rows: str) -> Path:
    path = tmp_path / "sale.csv"
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    return path


def csv_problems(path: Path) -> list[str]:
    with pytest.raises(ValidationFailed) as failed:
        read_campaign_set(path)
    return failed.value.problems


AD = ",a1,First ad,Buy shoes,https://shop.example.com/a,"


def test_csv_money_cells_are_numbers_with_the_same_bounds(tmp_path: Path) -> None:
    rows = [SHOES.replace(",50.00,", f",{amount},") + AD for amount in ("1e28",)]
    assert csv_problems(write_csv(tmp_path, HEADER, *rows)) == [
        "sale.csv: line 2, column budget_amount: must be at most 1000000000.00 (got 1E+28)"
    ]
    for amount, reason in (
        ("ten", "must be a number (got 'ten')"),
        ("NaN", "must be a number (got 'NaN')"),
        ("1_000", "must be a number (got '1_000')"),
        ("9" * 5001, "must be at most 1000000000.00 (got 999"),
    ):
        row = SHOES.replace(",50.00,", f",{amount},") + AD
        (problem,) = csv_problems(write_csv(tmp_path, HEADER, row))
        assert problem.startswith(f"sale.csv: line 2, column budget_amount: {reason}"), problem
    row = SHOES.replace(",1.25,", ",1000000.5,") + AD
    assert csv_problems(write_csv(tmp_path, HEADER, row)) == [
        "sale.csv: line 2, column bid_amount: must be at most 1000000.00 (got 1000000.5)"
    ]


def test_csv_repeated_column_is_an_error(tmp_path: Path) -> None:
    path = write_csv(tmp_path, HEADER + ",budget_amount", SHOES + AD + ",5000000")
    assert csv_problems(path) == [
        "sale.csv: line 1, column budget_amount: given 2 times (each column may appear once)"
    ]


def test_csv_cells_refuse_control_characters(tmp_path: Path) -> None:
    row = SHOES.replace("Shoes campaign", "Shoes\x00campaign") + AD
    assert csv_problems(write_csv(tmp_path, HEADER, row)) == [
        "sale.csv: line 2, column campaign_name: must not contain a control character: "
        "U+0000 at character 6"
    ]
    path = write_csv(tmp_path, HEADER + ",evil\x1bcolumn", SHOES + AD + ",x")
    (problem,) = csv_problems(path)
    assert problem == 'sale.csv: line 1, column "evil\\u001bcolumn": unknown column'


def test_valid_csv_still_reads(tmp_path: Path) -> None:
    parsed = read_campaign_set(
        write_csv(tmp_path, HEADER, SHOES + AD, BAGS + ",b1,Bag,B,https://x.co,")
    )
    assert parsed.campaigns[0].budget.amount == Decimal("50.00")
    assert parsed.campaigns[1].ad_groups[0].bidding.amount == Decimal("6")

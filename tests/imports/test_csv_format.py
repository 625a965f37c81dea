from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from adsync_pipeline.domain.model import Device, MatchType
from adsync_pipeline.errors import ValidationFailed
from adsync_pipeline.imports import read_campaign_set

HEADER = (
    "set_name,platform,ad_account_id,campaign_key,campaign_name,objective,campaign_status,"
    "budget_type,budget_amount,budget_currency,start_time,end_time,ad_group_key,ad_group_name,"
    "bid_strategy,bid_amount,subreddits,devices,keywords,ad_key,ad_name,headline,final_url,"
    "display_url"
)
SHOES = (
    "CSV Sale,reddit,t2_csv,shoes,Shoes campaign,consideration,active,daily,50.00,USD,"
    "2026-12-01T00:00:00Z,,runners,Runners,manual_cpc,1.25,running;marathon,mobile;desktop,"
    "running shoes;marathon training|phrase"
)
BAGS = (
    "CSV Sale,reddit,t2_csv,bags,Bags campaign,awareness,paused,lifetime,1200,USD,"
    "2026-12-01T00:00:00Z,2026-12-31T23:00:00Z,travel,Travellers,manual_cpm,6,travel,mobile,"
)


def write(tmp_path: Path, *rows: str) -> Path:
    path = tmp_path / "sale.csv"
    path.write_text("\n".join([HEADER, *rows]) + "\n")
    return path


def test_rows_group_into_a_hierarchy(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        SHOES + ",a1,First ad,Buy shoes,https://shop.example.com/a,shop.example.com",
        SHOES + ",a2,Second ad,More shoes,https://shop.example.com/b,",
        BAGS + ",b1,Bag ad,Bags,https://shop.example.com/bags,",
    )
    parsed = read_campaign_set(path)
    assert (parsed.name, parsed.ad_account_id) == ("CSV Sale", "t2_csv")
    shoes, bags = parsed.campaigns
    runners = shoes.ad_groups[0]
    assert [a.key for a in runners.ads] == ["a1", "a2"]
    assert runners.ads[1].display_url is None
    assert [(k.text, k.match_type) for k in runners.keywords] == [
        ("running shoes", MatchType.BROAD),
        ("marathon training", MatchType.PHRASE),
    ]
    assert runners.targeting.devices == (Device.MOBILE, Device.DESKTOP)
    assert runners.bidding.amount == Decimal("1.25")
    assert bags.budget.amount == Decimal("1200") and bags.ad_groups[0].keywords == []


def test_problems_name_line_and_column(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        SHOES.replace("1.25", "-1") + ",a1,First ad,Buy shoes,https://shop.example.com/a,",
        SHOES.replace("Shoes campaign", "Other name") + ",a1,Ad,Head,notaurl,",
        BAGS.replace("2026-12-31T23:00:00Z", "") + ",b1,Bag ad,Bags,https://x.example/b,",
    )
    with pytest.raises(ValidationFailed) as failed:
        read_campaign_set(path)
    problems = failed.value.problems
    expected = [
        "sale.csv: line 3, column campaign_name: differs from line 2 for the same campaign",
        "sale.csv: line 3, column bid_amount: differs from line 2 for the same ad group",
        "sale.csv: line 2, column bid_amount: must be greater than 0 (got -1)",
        "sale.csv: line 3, column ad_name: must be at least 3 characters (got 2)",
        "sale.csv: line 3, column final_url: must be an http(s) URL",
        "sale.csv: line 3, column ad_key: duplicate key 'a1'",
        "sale.csv: line 4, column end_time: is required with a lifetime budget",
    ]
    for start in expected:
        assert any(p.startswith(start) for p in problems), (start, problems)
    assert len(problems) == len(expected), problems


def test_header_problems(tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text("set_name,colour\nx,y\n")
    with pytest.raises(ValidationFailed) as failed:
        read_campaign_set(path)
    problems = failed.value.problems
    assert "bad.csv: line 1, column colour: unknown column" in problems
    assert "bad.csv: line 1, column final_url: required column is missing" in problems


@pytest.mark.parametrize("content", ["", "set_name,platform\na,b\na,b,c,d\n"])
def test_malformed_csv_is_one_problem(tmp_path: Path, content: str) -> None:
    path = tmp_path / "broken.csv"
    path.write_text(content)
    with pytest.raises(ValidationFailed) as failed:
        read_campaign_set(path)
    (problem,) = failed.value.problems
    assert problem.startswith("broken.csv: not valid CSV")


def test_rows_are_read_as_a_table_of_text(tmp_path: Path) -> None:
    """Blank lines are skipped, a short row's missing cells are empty, spaces around cells
    are dropped, a BOM before the header is no part of it."""
    row = SHOES + ",  a1 ,First ad,Buy shoes,https://shop.example.com/a"  # no display_url
    path = tmp_path / "sale.csv"
    path.write_text("\ufeff" + HEADER + "\n\n" + row + "\n\n", encoding="utf-8")
    (ad,) = read_campaign_set(path).campaigns[0].ad_groups[0].ads
    assert (ad.key, ad.display_url) == ("a1", None)


def test_a_row_longer_than_the_header_is_no_table(tmp_path: Path) -> None:
    path = write(tmp_path, SHOES + ",a1,Ad one,Head,https://x.example/a,,extra")
    with pytest.raises(ValidationFailed) as failed:
        read_campaign_set(path)
    assert failed.value.problems == ["sale.csv: not valid CSV (line 2: expected 24 fields, saw 25)"]


def test_ads_far_down_the_file_are_located(tmp_path: Path) -> None:
    """Each ad keeps its own line, however many rows its ad group spans."""
    rows = [SHOES + f",a{n},Ad number {n},Head,https://x.example/{n}," for n in range(300)]
    rows[250] = rows[250].replace("https://x.example/250", "ftp://x.example/250")
    rows.append(BAGS + ",b1,Bag ad,Bags,https://x.example/b,")
    rows.append(BAGS.replace("Bags campaign", "Bags renamed") + ",b2,Bag ad,Bags,https://x.co,")
    with pytest.raises(ValidationFailed) as failed:
        read_campaign_set(write(tmp_path, *rows))
    assert failed.value.problems == [
        "sale.csv: line 303, column campaign_name: differs from line 302 for the same campaign "
        "(got 'Bags renamed', expected 'Bags campaign')",
        "sale.csv: line 252, column final_url: must be an http(s) URL (got 'ftp://x.example/250')",
    ]


def test_generated_csv_reads_back(tmp_path: Path) -> None:
    from adsync_pipeline.examples.generator import write_generated_csv

    path = tmp_path / "generated.csv"
    assert write_generated_csv(str(path), 3, 2, 2, edited=frozenset({5})) == 12
    parsed = read_campaign_set(path)
    assert [len(c.ad_groups) for c in parsed.campaigns] == [2, 2, 2]
    ads = [a for c in parsed.campaigns for g in c.ad_groups for a in g.ads]
    assert [a.headline for a in ads][4:6] == ["Offer 1-0-0", "Edited offer 5"]
    assert len(parsed.campaigns[0].ad_groups[0].keywords) == 2

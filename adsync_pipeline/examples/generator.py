"""Synthetic campaign sets of any size, for benchmarks, load tests and the sandbox."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal

from adsync_pipeline.domain.model import (
    Ad,
    AdGroup,
    Bidding,
    BidStrategy,
    Budget,
    BudgetType,
    CallToAction,
    Campaign,
    CampaignSet,
    Device,
    Keyword,
    MatchType,
    Targeting,
)


def generate_campaign_set(
    campaigns: int,
    ad_groups: int = 1,
    ads: int = 1,
    keywords: int = 0,
    *,
    name: str = "Generated set",
    ad_account_id: str = "t2_sandbox01",
) -> CampaignSet:
    start = datetime(2026, 12, 1, tzinfo=UTC)
    return CampaignSet(
        name=name,
        platform="reddit",
        ad_account_id=ad_account_id,
        campaigns=[
            Campaign(
                key=f"c{c:04d}",
                name=f"Campaign {c:04d}",
                objective="consideration",
                budget=Budget(BudgetType.DAILY, Decimal("50.00")),
                start_time=start,
                ad_groups=[
                    AdGroup(
                        key=f"g{g:02d}",
                        name=f"Campaign {c:04d} group {g:02d}",
                        bidding=Bidding(BidStrategy.MANUAL_CPC, Decimal("1.25")),
                        targeting=Targeting(
                            subreddits=("running",), locations=("US",), devices=(Device.MOBILE,)
                        ),
                        keywords=[
                            Keyword(key=f"kw {k}", text=f"kw {k}", match_type=MatchType.BROAD)
                            for k in range(keywords)
                        ],
                        ads=[
                            Ad(
                                key=f"a{a:02d}",
                                name=f"Campaign {c:04d} group {g:02d} ad {a:02d}",
                                headline=f"Offer {c}-{g}-{a}",
                                description="Generated ad copy.",
                                final_url=f"https://shop.example.com/c{c}/g{g}/a{a}",
                                display_url="shop.example.com",
                                call_to_action=CallToAction.SHOP_NOW,
                            )
                            for a in range(ads)
                        ],
                    )
                    for g in range(ad_groups)
                ],
            )
            for c in range(campaigns)
        ],
    )


def generated_csv_rows(
    campaigns: int, ad_groups: int = 1, ads: int = 1, *, name: str = "Generated set"
) -> Iterator[dict[str, str]]:
    """The rows of a flat CSV import (one per ad) of that shape, two keywords per ad group;
    `edit` of `write_generated_csv` changes the headline of every ad whose number it picks."""
    for c in range(campaigns):
        for g in range(ad_groups):
            for a in range(ads):
                yield {
                    "set_name": name,
                    "platform": "reddit",
                    "ad_account_id": "t2_sandbox01",
                    "campaign_key": f"c{c:04d}",
                    "campaign_name": f"Campaign {c:04d}",
                    "objective": "consideration",
                    "budget_type": "daily",
                    "budget_amount": "50.00",
                    "start_time": "2026-12-01T00:00:00Z",
                    "ad_group_key": f"g{g:02d}",
                    "ad_group_name": f"Campaign {c:04d} group {g:02d}",
                    "bid_strategy": "manual_cpc",
                    "bid_amount": "1.25",
                    "subreddits": "running",
                    "locations": "US",
                    "devices": "mobile",
                    "keywords": "running shoes;trail shoes|phrase",
                    "ad_key": f"a{a:02d}",
                    "ad_name": f"Campaign {c:04d} group {g:02d} ad {a:02d}",
                    "headline": f"Offer {c}-{g}-{a}",
                    "description": "Generated ad copy.",
                    "final_url": f"https://shop.example.com/c{c}/g{g}/a{a}",
                    "display_url": "shop.example.com",
                    "call_to_action": "shop_now",
                }


def write_generated_csv(
    path: str,
    campaigns: int,
    ad_groups: int = 1,
    ads: int = 1,
    *,
    edited: frozenset[int] = frozenset(),
) -> int:
    """Writes `generated_csv_rows` to `path`, the ads numbered in `edited` (0-based, in row
    order) with a new headline; returns the number of rows."""
    rows = 0
    with open(path, "w", newline="") as out:
        writer: csv.DictWriter[str] | None = None
        for number, row in enumerate(generated_csv_rows(campaigns, ad_groups, ads)):
            if writer is None:
                writer = csv.DictWriter(out, fieldnames=list(row))
                writer.writeheader()
            if number in edited:
                row["headline"] = f"Edited offer {number}"
            writer.writerow(row)
            rows += 1
    return rows

"""Synthetic campaign sets of any size, for benchmarks, load tests and the sandbox."""

from __future__ import annotations

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

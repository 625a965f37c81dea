"""Campaign sets built in code, of any size, for store tests."""

from __future__ import annotations

from decimal import Decimal

from adsync_pipeline.domain.model import (
    Ad,
    AdGroup,
    Bidding,
    BidStrategy,
    Budget,
    BudgetType,
    Campaign,
    CampaignSet,
    Keyword,
    Targeting,
)


def make_set(
    campaigns: int = 1, groups: int = 1, ads: int = 1, keywords: int = 1, name: str = "Generated"
) -> CampaignSet:
    return CampaignSet(
        name=name,
        platform="reddit",
        ad_account_id="t2_gen",
        campaigns=[
            Campaign(
                key=f"c{c}",
                name=f"Campaign {c}",
                objective="consideration",
                budget=Budget(BudgetType.DAILY, Decimal("25.50")),
                ad_groups=[
                    AdGroup(
                        key=f"g{g}",
                        name=f"Group {c}.{g}",
                        bidding=Bidding(BidStrategy.MANUAL_CPC, Decimal("0.75")),
                        targeting=Targeting(subreddits=("python",), locations=("US",)),
                        ads=[
                            Ad(
                                key=f"a{a}",
                                name=f"Ad {c}.{g}.{a}",
                                headline="Headline",
                                final_url=f"https://example.com/{c}/{g}/{a}",
                            )
                            for a in range(ads)
                        ],
                        keywords=[Keyword(key=f"kw {k}", text=f"kw {k}") for k in range(keywords)],
                    )
                    for g in range(groups)
                ],
            )
            for c in range(campaigns)
        ],
    )

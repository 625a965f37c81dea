"""Domain objects for tests, built from the packaged summer-sale example without the store.

Kept independent of the importer on purpose: planner and mapping tests should fail only
for planner and mapping reasons.
"""

from __future__ import annotations

import itertools
import json
import re
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from adsync_pipeline.domain.fingerprint import fingerprint
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
    Entity,
    EntityStatus,
    Keyword,
    MatchType,
    SyncStatus,
    Targeting,
)

EXAMPLE = Path(__file__).parents[1] / "adsync_pipeline" / "examples" / "summer-sale.json"


def summer_sale() -> CampaignSet:
    raw = json.loads(EXAMPLE.read_text())
    ids = itertools.count(1)
    return CampaignSet(
        name=raw["name"],
        platform=raw["platform"],
        ad_account_id=raw["ad_account_id"],
        campaigns=[_campaign(c, ids) for c in raw["campaigns"]],
    )


def all_entities(campaign_set: CampaignSet) -> list[Entity]:
    found: list[Entity] = []
    for campaign in campaign_set.campaigns:
        found.append(campaign)
        for group in campaign.ad_groups:
            found += [group, *group.ads, *group.keywords]
    return found


def mark_synced(campaign_set: CampaignSet) -> CampaignSet:
    """As if every entity had just been pushed successfully."""
    platform_ids = itertools.count(100_000_000_000_000_001)
    for entity in all_entities(campaign_set):
        entity.sync.platform_id = str(next(platform_ids))
        entity.sync.sync_status = SyncStatus.SYNCED
        entity.sync.last_pushed_fingerprint = fingerprint(entity)
    return campaign_set


def _time(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value.replace("Z", "+00:00")) if value else None


def _money(value: Any) -> Decimal:
    return Decimal(str(value))


def _campaign(raw: dict[str, Any], ids: itertools.count[int]) -> Campaign:
    budget = raw["budget"]
    return Campaign(
        key=raw["key"],
        name=raw["name"],
        objective=raw["objective"],
        status=EntityStatus(raw["status"]),
        budget=Budget(BudgetType(budget["type"]), _money(budget["amount"]), budget["currency"]),
        start_time=_time(raw.get("start_time")),
        end_time=_time(raw.get("end_time")),
        ad_groups=[_ad_group(g, ids) for g in raw["ad_groups"]],
        id=next(ids),
    )


def _ad_group(raw: dict[str, Any], ids: itertools.count[int]) -> AdGroup:
    bidding = raw["bidding"]
    targeting = raw.get("targeting", {})
    amount = bidding.get("amount")
    return AdGroup(
        key=raw["key"],
        name=raw["name"],
        status=EntityStatus(raw["status"]),
        bidding=Bidding(BidStrategy(bidding["strategy"]), _money(amount) if amount else None),
        targeting=Targeting(
            subreddits=tuple(targeting.get("subreddits", ())),
            interests=tuple(targeting.get("interests", ())),
            locations=tuple(targeting.get("locations", ())),
            devices=tuple(Device(d) for d in targeting.get("devices", ())),
        ),
        keywords=[
            Keyword(
                key=re.sub(r"[^a-z0-9]+", "-", k["text"].lower()),
                text=k["text"],
                match_type=MatchType(k["match_type"]),
                id=next(ids),
            )
            for k in raw.get("keywords", [])
        ],
        ads=[_ad(a, ids) for a in raw.get("ads", [])],
        id=next(ids),
    )


def _ad(raw: dict[str, Any], ids: itertools.count[int]) -> Ad:
    return Ad(
        key=raw["key"],
        name=raw["name"],
        status=EntityStatus(raw["status"]),
        headline=raw["headline"],
        description=raw.get("description", ""),
        final_url=raw["final_url"],
        display_url=raw.get("display_url"),
        call_to_action=CallToAction(raw["call_to_action"]),
        id=next(ids),
    )

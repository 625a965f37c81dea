"""The campaign-set document in HTTP bodies: parsed by the importer (the same rules and
messages as `adsync import`), and the domain hierarchy turned into response models."""

from __future__ import annotations

from typing import Any

from fastapi import HTTPException, Request

from adsync_pipeline.api import schemas
from adsync_pipeline.domain import validation
from adsync_pipeline.domain.model import (
    Ad,
    AdGroup,
    BidStrategy,
    BudgetType,
    CallToAction,
    Campaign,
    CampaignSet,
    Device,
    EntityStatus,
    Keyword,
    MatchType,
    Objective,
    SyncState,
)
from adsync_pipeline.errors import ValidationFailed
from adsync_pipeline.imports.json_format import parse_json


def _ids(name: str) -> dict[str, Any]:
    return {"type": "string", "minLength": 1, "description": f"{name} key, unique among siblings"}


_TEXT = {"type": "string"}
_NAME = {"type": "string", "minLength": 3}


def _enum(values: type) -> dict[str, Any]:
    return {"enum": [member.value for member in values]}


_BUDGET = {"type": "number", "minimum": 0, "maximum": int(validation.BUDGET_MAX)}
_KEYWORD = {
    "type": "object",
    "required": ["text"],
    "properties": {
        "key": _ids("keyword"),
        "text": _TEXT,
        "match_type": _enum(MatchType),
    },
}
_AD = {
    "type": "object",
    "required": ["key", "name", "headline", "final_url"],
    "properties": {
        "key": _ids("ad"),
        "name": _NAME,
        "status": _enum(EntityStatus),
        "headline": _TEXT,
        "description": _TEXT,
        "final_url": _TEXT,
        "display_url": {"type": ["string", "null"]},
        "call_to_action": _enum(CallToAction),
    },
}
_AD_GROUP = {
    "type": "object",
    "required": ["key", "name", "bidding"],
    "properties": {
        "key": _ids("ad group"),
        "name": _NAME,
        "status": _enum(EntityStatus),
        "bidding": {
            "type": "object",
            "required": ["strategy"],
            "properties": {
                "strategy": _enum(BidStrategy),
                "amount": {"type": ["number", "null"], "maximum": int(validation.BID_MAX)},
            },
        },
        "targeting": {
            "type": "object",
            "properties": {
                **{
                    name: {"type": "array", "items": _TEXT}
                    for name in ("subreddits", "interests", "locations")
                },
                "devices": {"type": "array", "items": _enum(Device)},
            },
        },
        "optimization_goal": {"type": ["string", "null"]},
        "keywords": {"type": "array", "items": _KEYWORD},
        "ads": {"type": "array", "items": _AD},
    },
}
_CAMPAIGN = {
    "type": "object",
    "required": ["key", "name", "objective", "budget"],
    "properties": {
        "key": _ids("campaign"),
        "name": _NAME,
        "objective": _enum(Objective),
        "status": _enum(EntityStatus),
        "budget": {
            "type": "object",
            "required": ["type", "amount"],
            "properties": {
                "type": _enum(BudgetType),
                "amount": _BUDGET,
                "currency": {"type": "string", "pattern": "^[A-Z]{3}$"},
            },
        },
        "start_time": {"type": ["string", "null"], "format": "date-time"},
        "end_time": {"type": ["string", "null"], "format": "date-time"},
        "ad_groups": {"type": "array", "items": _AD_GROUP},
    },
}
# Documentation for clients (and generated tests); the importer is the authority and
# answers 422 with every problem located.
DOCUMENT_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["name", "platform", "ad_account_id", "campaigns"],
    "properties": {
        "name": _NAME,
        "platform": {"enum": ["reddit"]},
        "ad_account_id": _TEXT,
        "campaigns": {"type": "array", "items": _CAMPAIGN},
    },
    "description": "A campaign set in the import format (README, 'Import format').",
}
DOCUMENT_BODY = {
    "requestBody": {
        "required": True,
        "content": {"application/json": {"schema": DOCUMENT_SCHEMA}},
    }
}


async def read_document(request: Request) -> CampaignSet:
    content_type = request.headers.get("content-type", "application/json")
    media_type = content_type.split(";", 1)[0].strip().lower()
    if media_type != "application/json" and not media_type.endswith("+json"):
        raise HTTPException(415, f"expected application/json, got {media_type or 'nothing'}")
    # Bounded while it is read: BodyLimitMiddleware (api/limits.py) answers 413.
    body = await request.body()
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ValidationFailed([f"body: (document): not UTF-8 text ({exc.reason})"]) from None
    return parse_json(text, "body")


# Domain -> response -------------------------------------------------------------------


def _sync(state: SyncState) -> schemas.EntitySync:
    return schemas.EntitySync(
        platformId=state.platform_id,
        syncStatus=state.sync_status.value,
        lastSyncedAt=state.last_synced_at,
        lastError=state.last_error,
        attempts=state.attempts,
        nextAttemptAt=state.next_attempt_at,
        removed=state.removed,
    )


def _keyword(keyword: Keyword) -> schemas.Keyword:
    return schemas.Keyword(
        key=keyword.key,
        text=keyword.text,
        matchType=keyword.match_type.value,
        sync=_sync(keyword.sync),
    )


def _ad(ad: Ad) -> schemas.Ad:
    return schemas.Ad(
        key=ad.key,
        name=ad.name,
        status=ad.status.value,
        headline=ad.headline,
        description=ad.description,
        finalUrl=ad.final_url,
        displayUrl=ad.display_url,
        callToAction=ad.call_to_action.value,
        sync=_sync(ad.sync),
    )


def _ad_group(group: AdGroup) -> schemas.AdGroup:
    targeting = group.targeting
    return schemas.AdGroup(
        key=group.key,
        name=group.name,
        status=group.status.value,
        bidding=schemas.Bidding(strategy=group.bidding.strategy.value, amount=group.bidding.amount),
        targeting=schemas.Targeting(
            subreddits=list(targeting.subreddits),
            interests=list(targeting.interests),
            locations=list(targeting.locations),
            devices=[d.value for d in targeting.devices],
        ),
        optimizationGoal=group.optimization_goal,
        sync=_sync(group.sync),
        ads=[_ad(ad) for ad in group.ads],
        keywords=[_keyword(k) for k in group.keywords],
    )


def _campaign(campaign: Campaign) -> schemas.Campaign:
    budget = campaign.budget
    return schemas.Campaign(
        key=campaign.key,
        name=campaign.name,
        objective=campaign.objective,
        status=campaign.status.value,
        budget=schemas.Budget(
            type=budget.type.value, amount=budget.amount, currency=budget.currency
        ),
        startTime=campaign.start_time,
        endTime=campaign.end_time,
        sync=_sync(campaign.sync),
        adGroups=[_ad_group(g) for g in campaign.ad_groups],
    )


def detail(campaign_set: CampaignSet) -> schemas.CampaignSetDetail:
    assert campaign_set.id is not None
    return schemas.CampaignSetDetail(
        id=campaign_set.id,
        name=campaign_set.name,
        platform=campaign_set.platform,
        adAccountId=campaign_set.ad_account_id,
        status=campaign_set.status.value,
        syncStatus=campaign_set.sync_status.value,
        revision=campaign_set.revision,
        lastSyncedAt=campaign_set.last_synced_at,
        campaigns=[_campaign(c) for c in campaign_set.campaigns],
    )

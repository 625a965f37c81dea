"""Domain ⇄ Reddit Ads API v3 payloads, as pure functions (no I/O).

Every rule the spec states in its field descriptions that we can check locally is checked
here, so a bad entity fails with a `MappingError` naming the field before any HTTP call.

Where the budget lives. The domain puts budget and schedule on the campaign and bidding on
each ad group. Reddit can hold a budget on the campaign only with campaign budget
optimization (CBO), and a CBO campaign's `bid_strategy` has no `MANUAL_BIDDING` while its
ad groups must share it: manual CPC/CPM bids, which our ad groups carry, are impossible
under CBO. The CBO flag is also immutable after publishing, so switching modes on a bidding
edit would mean re-creating the campaign. adsync therefore never uses CBO
(`is_campaign_budget_optimization: false`): the campaign carries name, objective, status,
funding instrument and, for lifetime budgets, a `spend_cap` as a hard ceiling; each ad
group carries `goal_type`/`goal_value` (its share of the campaign budget) and the
campaign's `start_time`/`end_time`. Shares split the budget evenly in whole micros, the
remainder going to the first ad groups, so the shares always add up to the budget.
Consequence for the adapter: a campaign budget or schedule edit must also PATCH its ad
groups (`ad_group_budget_fields`), and so must adding or removing an ad group.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any
from urllib.parse import urlparse

from adsync_pipeline.domain.fingerprint import canonical_value
from adsync_pipeline.domain.model import (
    Ad,
    AdGroup,
    Bidding,
    BidStrategy,
    Budget,
    BudgetType,
    CallToAction,
    Campaign,
    Device,
    EntityStatus,
    Keyword,
    Objective,
)
from adsync_pipeline.platforms.adapter import PushContext
from adsync_pipeline.platforms.errors import ErrorClass, PlatformError

Payload = dict[str, Any]

MICROS_PER_UNIT = Decimal(1_000_000)
CPM_MIN = Decimal("3.50")
CPM_MAX = Decimal("100")
MAX_KEYWORDS = 1000
# Reddit post titles are limited to 300 characters.
MAX_HEADLINE = 300
DEFAULT_CONVERSION_GOAL = "PAGE_VISIT"

REDDIT_OBJECTIVES = frozenset(
    {
        "APP_INSTALLS",
        "CATALOG_SALES",
        "CLICKS",
        "CONVERSIONS",
        "IMPRESSIONS",
        "LEAD_GENERATION",
        "VIDEO_VIEWABLE_IMPRESSIONS",
    }
)
OBJECTIVES: dict[str, str] = {
    Objective.AWARENESS: "IMPRESSIONS",
    Objective.CONSIDERATION: "CLICKS",
    Objective.CONVERSIONS: "CONVERSIONS",
}
_OBJECTIVES_BACK = {reddit: ours for ours, reddit in OBJECTIVES.items()}

GOAL_TYPES: dict[BudgetType, str] = {
    BudgetType.DAILY: "DAILY_SPEND",
    BudgetType.LIFETIME: "LIFETIME_SPEND",
}
_GOAL_TYPES_BACK = {reddit: ours for ours, reddit in GOAL_TYPES.items()}

# What an automatically bid ad group is charged for, by objective: Reddit picks the bid
# (MAXIMIZE_VOLUME) but the bid type must still fit the objective.
AUTOMATIC_BID_TYPES: dict[str, str] = {
    "IMPRESSIONS": "CPM",
    "CLICKS": "CPC",
    "CONVERSIONS": "CPM",
    "VIDEO_VIEWABLE_IMPRESSIONS": "CPV6",
}
_MANUAL_BID_TYPES = {BidStrategy.MANUAL_CPC: "CPC", BidStrategy.MANUAL_CPM: "CPM"}

DEVICES: dict[Device, str] = {Device.MOBILE: "MOBILE", Device.DESKTOP: "DESKTOP"}
_DEVICES_BACK = {reddit: ours for ours, reddit in DEVICES.items()}

CALLS_TO_ACTION: dict[CallToAction, str] = {
    CallToAction.SHOP_NOW: "Shop Now",
    CallToAction.LEARN_MORE: "Learn More",
    CallToAction.SIGN_UP: "Sign Up",
    CallToAction.DOWNLOAD: "Download",
    CallToAction.INSTALL: "Install",
    CallToAction.CONTACT_US: "Contact Us",
    CallToAction.GET_A_QUOTE: "Get a Quote",
    CallToAction.ORDER_NOW: "Order Now",
    CallToAction.BOOK_NOW: "Book Now",
    CallToAction.SUBSCRIBE: "Subscribe",
    CallToAction.WATCH_NOW: "Watch Now",
    CallToAction.APPLY_NOW: "Apply Now",
}
_CALLS_TO_ACTION_BACK = {reddit: ours for ours, reddit in CALLS_TO_ACTION.items()}


class MappingError(PlatformError):
    """An entity cannot be expressed as a valid Reddit request; nothing was sent. A
    PlatformError so the push engine records it as a permanent failure of that entity."""

    classification = ErrorClass.PERMANENT
    exit_code = 2

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}", field_errors=[(field, message)])
        self.field = field
        self.message = message


# --- values ---------------------------------------------------------------------------------


def to_micros(amount: Decimal | int, field: str = "amount") -> int:
    """Money in integer micros, exactly: floats are refused because they cannot hold cents."""
    if isinstance(amount, float) or not isinstance(amount, Decimal | int):
        raise MappingError(field, f"money must be a Decimal or int, not {type(amount).__name__}")
    micros = Decimal(amount) * MICROS_PER_UNIT
    if micros != micros.to_integral_value():
        raise MappingError(field, f"{amount} has more precision than a micro-unit")
    if micros < 0:
        raise MappingError(field, f"{amount} is negative")
    return int(micros)


def from_micros(micros: int) -> Decimal:
    return Decimal(micros).scaleb(-6)


def iso_time(moment: datetime) -> str:
    aware = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return aware.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def reddit_objective(objective: str) -> str:
    if objective in OBJECTIVES:
        return OBJECTIVES[objective]
    if objective in REDDIT_OBJECTIVES:
        return objective
    allowed = sorted([*OBJECTIVES, *REDDIT_OBJECTIVES])
    raise MappingError("objective", f"{objective!r} is not one of {', '.join(allowed)}")


def configured_status(status: EntityStatus) -> str:
    # Only an active entity may deliver; draft, pending, completed or error ones stay paused.
    return "ACTIVE" if status is EntityStatus.ACTIVE else "PAUSED"


# --- campaigns -------------------------------------------------------------------------------


def campaign_payload(campaign: Campaign, ctx: PushContext) -> Payload:
    """Body of Create Campaign (inside `data`)."""
    _check_schedule(campaign)
    payload: Payload = {
        "name": campaign.name,
        "objective": reddit_objective(campaign.objective),
        "configured_status": configured_status(campaign.status),
        "is_campaign_budget_optimization": False,
        "spend_cap": _spend_cap(campaign.budget),
    }
    if ctx.funding_instrument_id is not None:
        payload["funding_instrument_id"] = ctx.funding_instrument_id
    return payload


def campaign_update_payload(campaign: Campaign) -> Payload:
    """Body of Update Campaign. The objective cannot change after publishing, so it is not
    sent; a local objective edit is for reconciliation to surface, not to be pushed."""
    _check_schedule(campaign)
    reddit_objective(campaign.objective)
    return {
        "name": campaign.name,
        "configured_status": configured_status(campaign.status),
        "spend_cap": _spend_cap(campaign.budget),
    }


def _spend_cap(budget: Budget) -> int | None:
    # A daily budget has no campaign-level cap without CBO; null clears a former cap.
    if budget.type is BudgetType.LIFETIME:
        return to_micros(budget.amount, "budget.amount")
    return None


def _check_schedule(campaign: Campaign) -> None:
    if campaign.budget.type is BudgetType.LIFETIME and campaign.end_time is None:
        raise MappingError("end_time", "a lifetime budget needs an end_time")
    if campaign.end_time is not None and campaign.start_time is None:
        raise MappingError("start_time", "Reddit needs a start_time when end_time is set")
    if campaign.start_time and campaign.end_time and campaign.end_time <= campaign.start_time:
        raise MappingError("end_time", "end_time must be after start_time")
    if to_micros(campaign.budget.amount, "budget.amount") == 0:
        raise MappingError("budget.amount", "the budget must be positive")


# --- ad groups -------------------------------------------------------------------------------


def ad_group_payload(ad_group: AdGroup, campaign: Campaign, ctx: PushContext) -> Payload:
    """Body of Create Ad Group. `campaign` is the parent; its platform id comes from ctx."""
    if ctx.campaign_id is None:
        raise MappingError("campaign_id", "the parent campaign has no platform id yet")
    goal = _optimization_goal(ad_group, campaign)
    payload: Payload = {"campaign_id": ctx.campaign_id, **_ad_group_fields(ad_group, campaign)}
    if goal is not None:
        payload["optimization_goal"] = goal
    payload["conversion_pixel_id"] = _pixel(ctx)
    return payload


def ad_group_update_payload(ad_group: AdGroup, campaign: Campaign, ctx: PushContext) -> Payload:
    """Body of Update Ad Group. `optimization_goal` cannot change later, so it is not sent;
    targeting is replaced whole on PATCH, so it always carries every keyword."""
    return {**_ad_group_fields(ad_group, campaign), "conversion_pixel_id": _pixel(ctx)}


def ad_group_budget_fields(ad_group: AdGroup, campaign: Campaign) -> Payload:
    """The part of an ad group that comes from its campaign: what a campaign budget or
    schedule edit (or a sibling added or removed) must PATCH on every live ad group."""
    _check_schedule(campaign)
    shares = budget_shares(campaign)
    if ad_group.key not in shares:
        raise MappingError("ad_group", f"{ad_group.key!r} is not a live ad group of the campaign")
    return {
        "goal_type": GOAL_TYPES[campaign.budget.type],
        "goal_value": shares[ad_group.key],
        "start_time": iso_time(campaign.start_time) if campaign.start_time else None,
        "end_time": iso_time(campaign.end_time) if campaign.end_time else None,
    }


def budget_shares(campaign: Campaign) -> dict[str, int]:
    """Each live ad group's share of the campaign budget in micros, summing exactly to it."""
    keys = [group.key for group in campaign.ad_groups if not group.sync.removed]
    if not keys:
        return {}
    total = to_micros(campaign.budget.amount, "budget.amount")
    base, remainder = divmod(total, len(keys))
    return {key: base + (1 if index < remainder else 0) for index, key in enumerate(keys)}


def bidding_fields(bidding: Bidding, objective: str) -> Payload:
    reddit = reddit_objective(objective)
    if bidding.strategy is BidStrategy.AUTOMATIC:
        return {
            "bid_strategy": "MAXIMIZE_VOLUME",
            "bid_type": AUTOMATIC_BID_TYPES.get(reddit, "CPM"),
            "bid_value": None,
        }
    if bidding.amount is None:
        raise MappingError("bidding.amount", f"{bidding.strategy.value} needs a bid amount")
    bid_type = _MANUAL_BID_TYPES[bidding.strategy]
    if bid_type == "CPM" and not CPM_MIN <= bidding.amount <= CPM_MAX:
        raise MappingError(
            "bidding.amount", f"a CPM bid must be between $3.50 and $100, not {bidding.amount}"
        )
    bid_value = to_micros(bidding.amount, "bidding.amount")
    if bid_value == 0:
        raise MappingError("bidding.amount", "the bid must be positive")
    return {"bid_strategy": "MANUAL_BIDDING", "bid_type": bid_type, "bid_value": bid_value}


def targeting_payload(ad_group: AdGroup, keywords: Iterable[Keyword] | None = None) -> Payload:
    """The ad group's whole `targeting` object. Reddit keywords are plain strings: match
    types have no field in v3, so only the text is sent."""
    live = [k for k in (ad_group.keywords if keywords is None else keywords) if not k.sync.removed]
    texts = list(dict.fromkeys(keyword.text for keyword in live))
    if len(texts) > MAX_KEYWORDS:
        raise MappingError("keywords", f"Reddit allows at most {MAX_KEYWORDS}, not {len(texts)}")
    targeting = ad_group.targeting
    fields: Payload = {
        "communities": list(targeting.subreddits),
        "interests": list(targeting.interests),
        "geolocations": list(targeting.locations),
        "devices": [{"type": _device(device)} for device in dict.fromkeys(targeting.devices)],
        "keywords": texts,
    }
    # Targeting is replaced whole: leaving a list out clears it just like an empty one.
    return {name: value for name, value in fields.items() if value}


def keywords_patch(ad_group: AdGroup, keywords: Iterable[Keyword]) -> Payload:
    """Body of the Update Ad Group that sets its keywords: the whole targeting object, since
    Reddit replaces it whole."""
    return {"targeting": targeting_payload(ad_group, keywords)}


def status_patch(configured: str) -> Payload:
    """Body of a pause, resume or delete (Reddit has no DELETE verb: status DELETED)."""
    if configured not in ("ACTIVE", "PAUSED", "DELETED"):
        raise MappingError("configured_status", f"{configured!r} is not a status we set")
    return {"configured_status": configured}


def _ad_group_fields(ad_group: AdGroup, campaign: Campaign) -> Payload:
    return {
        "name": ad_group.name,
        "configured_status": configured_status(ad_group.status),
        **bidding_fields(ad_group.bidding, campaign.objective),
        **ad_group_budget_fields(ad_group, campaign),
        "targeting": targeting_payload(ad_group),
    }


def _optimization_goal(ad_group: AdGroup, campaign: Campaign) -> str | None:
    goal = ad_group.optimization_goal.upper() if ad_group.optimization_goal else None
    if goal is None and reddit_objective(campaign.objective) == "CONVERSIONS":
        return DEFAULT_CONVERSION_GOAL
    return goal


def _pixel(ctx: PushContext) -> str:
    # Reddit requires a pixel on every ad group since 2026-07-13.
    if ctx.pixel_id is None:
        raise MappingError("conversion_pixel_id", "the ad account has no pixel")
    return ctx.pixel_id


def _device(device: Device) -> str:
    if device not in DEVICES:
        raise MappingError(
            "targeting.devices", f"Reddit targets only mobile and desktop, not {device.value}"
        )
    return DEVICES[device]


# --- ads: a post, then the ad that promotes it ------------------------------------------------


def post_payload(ad: Ad) -> Payload:
    """Body of Create Post (on the account's profile). Post copy is immutable on Reddit, so
    new copy means a new post and a PATCH of the ad's `post_id`."""
    headline = ad.headline.strip()
    if not 1 <= len(headline) <= MAX_HEADLINE:
        raise MappingError("headline", f"must be 1 to {MAX_HEADLINE} characters")
    _check_http_url("final_url", ad.final_url)
    content: Payload = {
        "destination_url": ad.final_url,
        "call_to_action": CALLS_TO_ACTION[ad.call_to_action],
    }
    if ad.display_url:
        if not same_domain(ad.display_url, ad.final_url):
            raise MappingError("display_url", "must be on the final_url's domain")
        content["display_url"] = ad.display_url
    payload: Payload = {"type": "TEXT", "headline": headline, "content": [content]}
    if ad.description:
        payload["body"] = ad.description
    return payload


def ad_payload(ad: Ad, ctx: PushContext, post_id: str) -> Payload:
    """Body of Create Ad."""
    if ctx.ad_group_id is None:
        raise MappingError("ad_group_id", "the parent ad group has no platform id yet")
    return {"ad_group_id": ctx.ad_group_id, **ad_update_payload(ad, post_id)}


def ad_update_payload(ad: Ad, post_id: str) -> Payload:
    """Body of Update Ad."""
    _check_http_url("final_url", ad.final_url)
    return {
        "name": ad.name,
        "configured_status": configured_status(ad.status),
        "post_id": post_id,
        "click_url": ad.final_url,
    }


def same_domain(display_url: str, destination_url: str) -> bool:
    """Whether the display URL is on the destination's domain (a subdomain may show its
    parent domain: shop.example.com may display as example.com)."""
    shown, target = _host(display_url), _host(destination_url)
    return bool(shown) and (target == shown or target.endswith("." + shown))


def _host(url: str) -> str:
    # Display URLs are usually written bare ("example.com/sale"): give them a scheme to parse.
    parsed = urlparse(url if "://" in url else f"https://{url}")
    return (parsed.hostname or "").lower().removeprefix("www.")


def _check_http_url(field: str, url: str) -> None:
    parsed = urlparse(url)
    if parsed.scheme not in ("http", "https") or not parsed.hostname:
        raise MappingError(field, f"{url!r} is not an http(s) URL")


# --- back: Reddit entity → our canonical fields (for reconciliation) -------------------------
# Each returns the keys of `pushable_fields` Reddit can tell, canonicalised the same way, so a
# three-way comparison is a field-by-field equality.


def status_from_reddit(configured: str) -> str:
    return configured.lower()


def domain_objective(reddit: str) -> str:
    return _OBJECTIVES_BACK.get(reddit, reddit)


def campaign_fields_from_reddit(data: Payload) -> Payload:
    fields: Payload = {
        "name": data["name"],
        "objective": domain_objective(data["objective"]),
        "status": status_from_reddit(data["configured_status"]),
    }
    return canonical_value(fields)


def campaign_budget_from_reddit(ad_groups: Iterable[Payload]) -> Budget | None:
    """The campaign budget is the sum of its live ad groups' goals (see the module note);
    None when they disagree on the goal type or have none."""
    live = [g for g in ad_groups if g.get("configured_status") != "DELETED"]
    goal_types = {g.get("goal_type") for g in live}
    if len(goal_types) != 1 or None in goal_types:
        return None
    (goal_type,) = goal_types
    total = sum(int(g.get("goal_value") or 0) for g in live)
    return Budget(type=_GOAL_TYPES_BACK[goal_type], amount=from_micros(total))


def bidding_from_reddit(data: Payload) -> Bidding:
    if data.get("bid_strategy") == "MANUAL_BIDDING":
        strategy = (
            BidStrategy.MANUAL_CPM if data.get("bid_type") == "CPM" else BidStrategy.MANUAL_CPC
        )
        return Bidding(strategy, from_micros(data["bid_value"]))
    return Bidding(BidStrategy.AUTOMATIC)


def ad_group_fields_from_reddit(data: Payload) -> Payload:
    """Canonical ad group fields plus `keywords` (texts; Reddit has no match types)."""
    targeting = data.get("targeting") or {}
    bidding = bidding_from_reddit(data)
    fields: Payload = {
        "name": data["name"],
        "status": status_from_reddit(data["configured_status"]),
        "bid_strategy": bidding.strategy,
        "bid_amount": bidding.amount,
        "subreddits": targeting.get("communities") or [],
        "interests": targeting.get("interests") or [],
        "locations": targeting.get("geolocations") or [],
        "devices": [
            _DEVICES_BACK.get(device["type"], device["type"].lower())
            for device in targeting.get("devices") or []
        ],
        "optimization_goal": data.get("optimization_goal"),
        "keywords": targeting.get("keywords") or [],
    }
    return canonical_value(fields)


def ad_fields_from_reddit(ad: Payload, post: Payload) -> Payload:
    content = (post.get("content") or [{}])[0]
    cta = content.get("call_to_action")
    # A click goes to the ad's click_url: that, not the post's destination, is where the ad
    # leads, and it is what changes when someone edits only the ad in Ads Manager.
    fields: Payload = {
        "name": ad["name"],
        "status": status_from_reddit(ad["configured_status"]),
        "headline": post.get("headline"),
        "description": post.get("body") or "",
        "final_url": ad.get("click_url") or content.get("destination_url"),
        "display_url": content.get("display_url"),
        "call_to_action": _CALLS_TO_ACTION_BACK.get(cta, cta),
    }
    return canonical_value(fields)

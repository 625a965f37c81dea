"""The campaign-set model: plain typed data, no I/O and no framework imports.

Each entity carries what the user authored (its *pushable* fields) and a `SyncState`
with what adsync knows of its platform twin. Only the pushable fields enter the
fingerprint (see `fingerprint.py`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any


class SetStatus(StrEnum):
    DRAFT = "draft"
    PENDING = "pending"
    SYNCING = "syncing"
    ACTIVE = "active"
    PAUSED = "paused"
    COMPLETED = "completed"
    ARCHIVED = "archived"
    ERROR = "error"


class SyncStatus(StrEnum):
    PENDING = "pending"
    SYNCING = "syncing"
    SYNCED = "synced"
    FAILED = "failed"
    CONFLICT = "conflict"


class EntityStatus(StrEnum):
    """Campaign status in the seed; ad groups and ads use the same values."""

    DRAFT = "draft"
    PENDING = "pending"
    ACTIVE = "active"
    PAUSED = "paused"
    COMPLETED = "completed"
    ERROR = "error"


class Objective(StrEnum):
    AWARENESS = "awareness"
    CONSIDERATION = "consideration"
    CONVERSIONS = "conversions"


class BudgetType(StrEnum):
    DAILY = "daily"
    LIFETIME = "lifetime"


class BidStrategy(StrEnum):
    AUTOMATIC = "automatic"
    MANUAL_CPC = "manual_cpc"
    MANUAL_CPM = "manual_cpm"


class MatchType(StrEnum):
    BROAD = "broad"
    PHRASE = "phrase"
    EXACT = "exact"


class Device(StrEnum):
    MOBILE = "mobile"
    DESKTOP = "desktop"
    TABLET = "tablet"


class CallToAction(StrEnum):
    SHOP_NOW = "shop_now"
    LEARN_MORE = "learn_more"
    SIGN_UP = "sign_up"
    DOWNLOAD = "download"
    INSTALL = "install"
    CONTACT_US = "contact_us"
    GET_A_QUOTE = "get_a_quote"
    ORDER_NOW = "order_now"
    BOOK_NOW = "book_now"
    SUBSCRIBE = "subscribe"
    WATCH_NOW = "watch_now"
    APPLY_NOW = "apply_now"


class EntityType(StrEnum):
    CAMPAIGN_SET = "campaign_set"
    CAMPAIGN = "campaign"
    AD_GROUP = "ad_group"
    AD = "ad"
    KEYWORD = "keyword"


@dataclass
class SyncState:
    """What adsync knows of an entity's platform twin (the ledger), per entity."""

    platform_id: str | None = None
    sync_status: SyncStatus = SyncStatus.PENDING
    last_pushed_fingerprint: str | None = None
    last_synced_at: datetime | None = None
    last_error: str | None = None
    attempts: int = 0
    next_attempt_at: datetime | None = None
    # Absent from the latest import: the push engine pauses/deletes it on the platform.
    removed: bool = False
    # Adapter-specific facts about the platform twin (e.g. Reddit's post id behind an ad).
    platform_data: dict[str, Any] | None = None


@dataclass(frozen=True)
class Budget:
    type: BudgetType
    amount: Decimal
    currency: str = "USD"


@dataclass(frozen=True)
class Bidding:
    strategy: BidStrategy
    amount: Decimal | None = None


@dataclass(frozen=True)
class Targeting:
    subreddits: tuple[str, ...] = ()
    interests: tuple[str, ...] = ()
    locations: tuple[str, ...] = ()
    devices: tuple[Device, ...] = ()


@dataclass
class Keyword:
    key: str
    text: str
    match_type: MatchType = MatchType.BROAD
    id: int | None = None
    sync: SyncState = field(default_factory=SyncState)


@dataclass
class Ad:
    key: str
    name: str
    headline: str
    final_url: str
    status: EntityStatus = EntityStatus.ACTIVE
    description: str = ""
    display_url: str | None = None
    call_to_action: CallToAction = CallToAction.LEARN_MORE
    id: int | None = None
    sync: SyncState = field(default_factory=SyncState)


@dataclass
class AdGroup:
    key: str
    name: str
    bidding: Bidding
    status: EntityStatus = EntityStatus.ACTIVE
    targeting: Targeting = field(default_factory=Targeting)
    # Reddit needs it under conversion campaigns; None means the platform default.
    optimization_goal: str | None = None
    keywords: list[Keyword] = field(default_factory=list)
    ads: list[Ad] = field(default_factory=list)
    id: int | None = None
    sync: SyncState = field(default_factory=SyncState)


@dataclass
class Campaign:
    key: str
    name: str
    objective: str
    budget: Budget
    status: EntityStatus = EntityStatus.ACTIVE
    start_time: datetime | None = None
    end_time: datetime | None = None
    ad_groups: list[AdGroup] = field(default_factory=list)
    id: int | None = None
    sync: SyncState = field(default_factory=SyncState)


@dataclass
class CampaignSet:
    name: str
    platform: str
    ad_account_id: str
    campaigns: list[Campaign] = field(default_factory=list)
    status: SetStatus = SetStatus.DRAFT
    sync_status: SyncStatus = SyncStatus.PENDING
    revision: int = 1
    last_synced_at: datetime | None = None
    id: int | None = None


Entity = Campaign | AdGroup | Ad | Keyword


def entity_type_of(entity: Entity) -> EntityType:
    return _ENTITY_TYPES[type(entity)]


_ENTITY_TYPES: dict[type, EntityType] = {
    Campaign: EntityType.CAMPAIGN,
    AdGroup: EntityType.AD_GROUP,
    Ad: EntityType.AD,
    Keyword: EntityType.KEYWORD,
}

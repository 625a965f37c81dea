"""The contract between the push engine and a platform.

An adapter turns one planned operation into platform calls and answers with the platform's
id. It raises `PlatformError` (classified retryable / auth / permanent) on failure and
`CreateOutcomeUnknown` when a create was sent but its outcome is unknown; the engine then
resolves the create with `find_child_by_name` instead of creating again, and the creates a
killed push left open with `find_children_by_name`, a batch of them per entity type.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from adsync_pipeline.domain.model import Ad, AdGroup, Campaign, EntityType, Keyword


@dataclass(frozen=True)
class PlatformResult:
    platform_id: str
    # The entity as the platform now describes it (mapped), for the ledger and reconciliation.
    platform_data: dict[str, Any] | None = None
    # The platform's own answer, untouched, for the audit log.
    raw: dict[str, Any] | None = None


@dataclass(frozen=True)
class PushContext:
    """What a call needs beyond the entity itself.

    The account resources are looked up once per push and cached by the engine. The parent
    entities travel whole, not just their ids: on Reddit an ad group carries its campaign's
    budget and schedule, and the campaign's objective decides the optimization goal. Their
    platform ids are read from their ledger, so there is one place that holds each id.
    """

    ad_account_id: str
    funding_instrument_id: str | None = None
    profile_id: str | None = None
    pixel_id: str | None = None
    campaign: Campaign | None = None
    ad_group: AdGroup | None = None
    # An earlier attempt at this create was cut short (its process killed): it may have left
    # a piece behind on the platform (on Reddit, the ad's post) for this one to reuse.
    earlier_attempt: bool = False

    @property
    def campaign_id(self) -> str | None:
        return self.campaign.sync.platform_id if self.campaign else None

    @property
    def ad_group_id(self) -> str | None:
        return self.ad_group.sync.platform_id if self.ad_group else None

    @property
    def parent_platform_id(self) -> str | None:
        """The id `find_child_by_name` looks under: the nearest parent, else the account."""
        if self.ad_group is not None:
            return self.ad_group_id
        if self.campaign is not None:
            return self.campaign_id
        return self.ad_account_id


@dataclass(frozen=True)
class ChildLookup:
    """An entity sought by name under its parent (the ad account for campaigns)."""

    parent_platform_id: str
    name: str


@dataclass(frozen=True)
class AdapterStats:
    api_calls: int = 0
    rate_limited: int = 0
    retries: int = 0


class CampaignSetPlatformAdapter(Protocol):
    async def probe(self, ctx: PushContext) -> None:
        """One cheap read that succeeds only if the platform answers normally: the circuit
        breaker's half-open test call. Raises PlatformError otherwise."""
        ...

    def stats(self) -> AdapterStats:
        """Calls made so far by this adapter, for the run's totals."""
        ...

    async def create_campaign(self, campaign: Campaign, ctx: PushContext) -> PlatformResult: ...
    async def update_campaign(self, campaign: Campaign, ctx: PushContext) -> PlatformResult: ...
    async def pause_campaign(self, campaign: Campaign, ctx: PushContext) -> PlatformResult: ...
    async def resume_campaign(self, campaign: Campaign, ctx: PushContext) -> PlatformResult: ...
    async def delete_campaign(self, campaign: Campaign, ctx: PushContext) -> PlatformResult: ...

    async def create_ad_group(self, ad_group: AdGroup, ctx: PushContext) -> PlatformResult: ...
    async def update_ad_group(self, ad_group: AdGroup, ctx: PushContext) -> PlatformResult: ...
    async def pause_ad_group(self, ad_group: AdGroup, ctx: PushContext) -> PlatformResult: ...
    async def resume_ad_group(self, ad_group: AdGroup, ctx: PushContext) -> PlatformResult: ...
    async def delete_ad_group(self, ad_group: AdGroup, ctx: PushContext) -> PlatformResult: ...

    async def create_ad(self, ad: Ad, ctx: PushContext) -> PlatformResult: ...
    async def update_ad(self, ad: Ad, ctx: PushContext) -> PlatformResult: ...
    async def pause_ad(self, ad: Ad, ctx: PushContext) -> PlatformResult: ...
    async def resume_ad(self, ad: Ad, ctx: PushContext) -> PlatformResult: ...
    async def delete_ad(self, ad: Ad, ctx: PushContext) -> PlatformResult: ...

    async def sync_keywords(
        self, ad_group: AdGroup, keywords: list[Keyword], ctx: PushContext
    ) -> PlatformResult:
        """Make the ad group's keywords exactly `keywords` (the full desired list, removed
        ones excluded) in one call. Keywords have no platform identity of their own on
        Reddit: the result's platform_id is the ad group's, which each keyword records."""
        ...

    async def find_child_by_name(
        self,
        entity_type: EntityType,
        parent_platform_id: str,
        name: str,
        *,
        exclude: Collection[str] = frozenset(),
    ) -> PlatformResult | None:
        """The live (not deleted) entity of this type named `name` under its parent (the ad
        account for campaigns), or None: used to adopt creates whose outcome was unknown.
        Entities whose ids are in `exclude` (held by other local entities) are passed over:
        a name is not unique, and adopting another entity's twin would make two of ours
        share one platform entity."""
        ...

    async def find_children_by_name(
        self,
        entity_type: EntityType,
        lookups: Sequence[ChildLookup],
        *,
        exclude: Collection[str] = frozenset(),
    ) -> list[PlatformResult | None]:
        """`find_child_by_name` for many entities of one type at once, one answer per
        lookup in order, with the platform's list calls (a page holds many entities), never
        one call per lookup. No platform entity answers two lookups."""
        ...

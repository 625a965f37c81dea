"""Reddit Ads API v3 behind the push adapter protocol.

Payloads come from `mapping` (pure functions); this module decides which calls each
operation needs, because on Reddit one local edit can touch several platform entities:

- Budgets live on ad groups as even shares of the campaign budget (see mapping's module
  note). When the shares or the schedule change - a campaign budget/schedule edit, an ad
  group created or deleted - every live, synced ad group of the campaign is PATCHed. Shares
  shrink *before* a new ad group is created and grow only *after* one is deleted, so a
  failure between the calls leaves the campaign under its budget, never over it.
- Ad copy lives on an immutable post: new copy means a new post and a PATCH of the ad's
  `post_id`. `platform_data` of an ad is `{"post_id", "copy_fingerprint"}`.
- A post can outlive a failed ad create (or re-pointing PATCH). Retries reuse it: when the
  ad already failed once, or the post's own create had an unknown outcome, the profile's
  posts are searched for one with the same copy before a new one is made.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
from collections import defaultdict
from collections.abc import AsyncIterator, Awaitable, Callable, Collection, Sequence
from dataclasses import replace
from typing import Any

from adsync_pipeline.domain.fingerprint import canonical_value
from adsync_pipeline.domain.model import Ad, AdGroup, Campaign, EntityType, Keyword
from adsync_pipeline.platforms.adapter import (
    AdapterStats,
    ChildLookup,
    PlatformResult,
    PushContext,
)
from adsync_pipeline.platforms.errors import CreateOutcomeUnknown, ErrorClass, PlatformError
from adsync_pipeline.platforms.reddit.client import RedditClient
from adsync_pipeline.platforms.reddit.errors import RedditApiError
from adsync_pipeline.platforms.reddit.mapping import (
    GOAL_TYPES,
    MappingError,
    Payload,
    ad_group_budget_fields,
    ad_group_payload,
    ad_group_update_payload,
    ad_payload,
    ad_update_payload,
    campaign_payload,
    campaign_update_payload,
    keywords_patch,
    post_payload,
    status_patch,
    to_micros,
)
from adsync_pipeline.platforms.reddit.services import AccountResources, RedditAds

ACTIVE, PAUSED, DELETED = "ACTIVE", "PAUSED", "DELETED"
# Reddit's list calls take up to 200 parent ids in one filter.
MAX_FILTER_IDS = 200
_PARENT_FIELD = {EntityType.AD_GROUP: "campaign_id", EntityType.AD: "ad_group_id"}
BUDGET_FINGERPRINT = "budget_fingerprint"
POST_ID = "post_id"
COPY_FINGERPRINT = "copy_fingerprint"

Entity = Campaign | AdGroup | Ad
Update = Callable[[str, Payload], Awaitable[dict[str, Any]]]


def _digest(value: Any) -> str:
    text = json.dumps(canonical_value(value), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def copy_fingerprint(post: Payload) -> str:
    """The copy of a post, from our Create Post body or Reddit's post alike (extra fields
    Reddit adds are ignored), so an existing post can be recognised by its copy."""
    content = [
        {name: item.get(name) for name in ("destination_url", "display_url", "call_to_action")}
        for item in post.get("content") or []
    ]
    return _digest(
        {
            "type": post.get("type"),
            "headline": post.get("headline"),
            "body": post.get("body") or None,
            "content": content,
        }
    )


def budget_fingerprint(campaign: Campaign) -> str:
    """What the ad groups' shares are derived from, apart from how many groups there are."""
    return _digest(
        {
            "goal_type": GOAL_TYPES[campaign.budget.type],
            "total": to_micros(campaign.budget.amount, "budget.amount"),
            "start_time": campaign.start_time,
            "end_time": campaign.end_time,
        }
    )


def _platform_id(entity: Entity) -> str:
    if not entity.sync.platform_id:
        raise PlatformError(
            f"{entity.name!r} has no Reddit id yet", classification=ErrorClass.PERMANENT
        )
    return entity.sync.platform_id


def _campaign_of(ctx: PushContext) -> Campaign:
    if ctx.campaign is None:
        raise MappingError("campaign", "an ad group is pushed with its campaign")
    return ctx.campaign


class RedditAdapter:
    """One ad account's adapter; lives for one push (it remembers what it sent)."""

    def __init__(
        self,
        client: RedditClient,
        ads: RedditAds | None = None,
        *,
        ad_account_id: str,
        resources: AccountResources | None = None,
        refresh_resources: Callable[[], Awaitable[AccountResources]] | None = None,
    ) -> None:
        self.client = client
        self.ads = ads or RedditAds(client)
        self.ad_account_id = ad_account_id
        # Fills the account resources a context lacks (read before they were cached).
        self.resources = resources
        # Re-reads them when Reddit refuses the cached funding instrument (it stopped being
        # servable): lazily, so a healthy push spends no call on checking.
        self._refresh_resources = refresh_resources
        self._funding_override: str | None = None
        self._refresh_lock = asyncio.Lock()
        # Budget fields already sent per ad group id: siblings created together in one
        # push must not each re-PATCH the same shares.
        self._sent_budgets: dict[str, Payload] = {}
        self._reshare_locks: defaultdict[str, asyncio.Lock] = defaultdict(asyncio.Lock)
        self._earlier_posts: dict[str, str] | None = None
        self._posts_lock = asyncio.Lock()

    # --- protocol: health and totals ---------------------------------------------------------

    async def probe(self, ctx: PushContext) -> None:
        await self.ads.get_ad_account(ctx.ad_account_id)

    def stats(self) -> AdapterStats:
        return AdapterStats(
            api_calls=self.client.api_calls,
            rate_limited=self.client.rate_limited,
            retries=self.client.retries,
        )

    # --- campaigns -------------------------------------------------------------------------

    async def create_campaign(self, campaign: Campaign, ctx: PushContext) -> PlatformResult:
        ctx = self._complete(ctx)
        try:
            data = await self.ads.create_campaign(
                ctx.ad_account_id, campaign_payload(campaign, ctx)
            )
        except RedditApiError as exc:
            if not await self._replace_funding_instrument(exc, ctx.funding_instrument_id):
                raise
            ctx = self._complete(ctx)
            data = await self.ads.create_campaign(
                ctx.ad_account_id, campaign_payload(campaign, ctx)
            )
        return PlatformResult(data["id"], {BUDGET_FINGERPRINT: budget_fingerprint(campaign)}, data)

    async def _replace_funding_instrument(self, exc: RedditApiError, refused: str | None) -> bool:
        """True when `exc` refused the funding instrument and a different one is now known."""
        refused_funding = exc.status == 400 and any(
            "funding_instrument_id" in field for field, _ in exc.field_errors
        )
        if not refused_funding or self._refresh_resources is None:
            return False
        async with self._refresh_lock:
            # Concurrent creates refused the same instrument: one re-read serves them all.
            if self._funding_override in (None, refused):
                self.resources = await self._refresh_resources()
                self._funding_override = self.resources.funding_instrument_id
        return self._funding_override not in (None, refused)

    async def update_campaign(self, campaign: Campaign, ctx: PushContext) -> PlatformResult:
        data = await self.ads.update_campaign(
            _platform_id(campaign), campaign_update_payload(campaign)
        )
        fingerprint = budget_fingerprint(campaign)
        # Unknown (an adopted campaign) counts as changed: re-sending shares is harmless.
        if (campaign.sync.platform_data or {}).get(BUDGET_FINGERPRINT) != fingerprint:
            await self._reshare(campaign)
        return PlatformResult(data["id"], {BUDGET_FINGERPRINT: fingerprint}, data)

    async def pause_campaign(self, campaign: Campaign, ctx: PushContext) -> PlatformResult:
        return await self._set_status(self.ads.update_campaign, campaign, PAUSED)

    async def resume_campaign(self, campaign: Campaign, ctx: PushContext) -> PlatformResult:
        return await self._set_status(self.ads.update_campaign, campaign, ACTIVE)

    async def delete_campaign(self, campaign: Campaign, ctx: PushContext) -> PlatformResult:
        return await self._set_status(self.ads.update_campaign, campaign, DELETED)

    # --- ad groups -------------------------------------------------------------------------

    async def create_ad_group(self, ad_group: AdGroup, ctx: PushContext) -> PlatformResult:
        ctx = self._complete(ctx)
        campaign = _campaign_of(ctx)
        payload = ad_group_payload(ad_group, campaign, ctx)  # refuse a bad group before any call
        await self._reshare(campaign)
        data = await self.ads.create_ad_group(ctx.ad_account_id, payload)
        self._sent_budgets[data["id"]] = ad_group_budget_fields(ad_group, campaign)
        return PlatformResult(data["id"], None, data)

    async def update_ad_group(self, ad_group: AdGroup, ctx: PushContext) -> PlatformResult:
        ctx = self._complete(ctx)
        campaign = _campaign_of(ctx)
        group_id = _platform_id(ad_group)
        data = await self.ads.update_ad_group(
            group_id, ad_group_update_payload(ad_group, campaign, ctx)
        )
        self._sent_budgets[group_id] = ad_group_budget_fields(ad_group, campaign)
        return PlatformResult(data["id"], None, data)

    async def pause_ad_group(self, ad_group: AdGroup, ctx: PushContext) -> PlatformResult:
        return await self._set_status(self.ads.update_ad_group, ad_group, PAUSED)

    async def resume_ad_group(self, ad_group: AdGroup, ctx: PushContext) -> PlatformResult:
        return await self._set_status(self.ads.update_ad_group, ad_group, ACTIVE)

    async def delete_ad_group(self, ad_group: AdGroup, ctx: PushContext) -> PlatformResult:
        result = await self._set_status(self.ads.update_ad_group, ad_group, DELETED)
        self._sent_budgets.pop(result.platform_id, None)
        if ctx.campaign is not None:
            await self._reshare(ctx.campaign)
        return result

    async def sync_keywords(
        self, ad_group: AdGroup, keywords: list[Keyword], ctx: PushContext
    ) -> PlatformResult:
        data = await self.ads.update_ad_group(
            _platform_id(ad_group), keywords_patch(ad_group, keywords)
        )
        return PlatformResult(data["id"], None, data)

    async def _reshare(self, campaign: Campaign) -> None:
        """PATCH each live, synced ad group of `campaign` to its current share and schedule,
        unless this adapter already sent exactly that."""
        if campaign.sync.removed:
            return
        async with self._reshare_locks[campaign.sync.platform_id or campaign.key]:
            for group in campaign.ad_groups:
                group_id = group.sync.platform_id
                if group.sync.removed or not group_id:
                    continue
                fields = ad_group_budget_fields(group, campaign)
                if self._sent_budgets.get(group_id) == fields:
                    continue
                await self.ads.update_ad_group(group_id, fields)
                self._sent_budgets[group_id] = fields

    # --- ads -------------------------------------------------------------------------------

    async def create_ad(self, ad: Ad, ctx: PushContext) -> PlatformResult:
        ctx = self._complete(ctx)
        if ctx.ad_group_id is None:
            raise MappingError("ad_group_id", "the parent ad group has no platform id yet")
        post = post_payload(ad)
        post_id = await self._post_for(ad, ctx, post)
        data = await self.ads.create_ad(ctx.ad_account_id, ad_payload(ad, ctx, post_id))
        return PlatformResult(data["id"], _ad_data(post_id, copy_fingerprint(post)), data)

    async def update_ad(self, ad: Ad, ctx: PushContext) -> PlatformResult:
        ctx = self._complete(ctx)
        post = post_payload(ad)
        fingerprint = copy_fingerprint(post)
        known = ad.sync.platform_data or {}
        post_id = known.get(POST_ID)
        if post_id is None or known.get(COPY_FINGERPRINT) != fingerprint:
            post_id = await self._post_for(ad, ctx, post)
        data = await self.ads.update_ad(_platform_id(ad), ad_update_payload(ad, post_id))
        return PlatformResult(data["id"], _ad_data(post_id, fingerprint), data)

    async def pause_ad(self, ad: Ad, ctx: PushContext) -> PlatformResult:
        return await self._set_status(self.ads.update_ad, ad, PAUSED)

    async def resume_ad(self, ad: Ad, ctx: PushContext) -> PlatformResult:
        return await self._set_status(self.ads.update_ad, ad, ACTIVE)

    async def delete_ad(self, ad: Ad, ctx: PushContext) -> PlatformResult:
        return await self._set_status(self.ads.update_ad, ad, DELETED)

    async def _post_for(self, ad: Ad, ctx: PushContext, post: Payload) -> str:
        """The id of a post carrying `post`'s copy: an orphan left by an earlier failed
        attempt when there may be one, else a new post."""
        if ctx.profile_id is None:
            raise MappingError("profile_id", "the ad account has no profile to post from")
        if ad.sync.attempts > 0 or ctx.earlier_attempt:
            found = (await self._posts_before(ctx.profile_id)).get(copy_fingerprint(post))
            if found is not None:
                return found
        try:
            created = await self.ads.create_post(ctx.profile_id, post)
        except CreateOutcomeUnknown:
            found = (await self._list_posts(ctx.profile_id)).get(copy_fingerprint(post))
            if found is None:
                raise
            return found
        return str(created["id"])

    async def _posts_before(self, profile_id: str) -> dict[str, str]:
        """The posts the profile had when this push first asked, listed once: an earlier
        attempt's post predates the push, so every ad that may reuse one shares the list."""
        async with self._posts_lock:
            if self._earlier_posts is None:
                self._earlier_posts = await self._list_posts(profile_id)
            return self._earlier_posts

    async def _list_posts(self, profile_id: str) -> dict[str, str]:
        """Post ids by copy fingerprint (the first post of each copy)."""
        posts: dict[str, str] = {}
        async for existing in self.ads.list_posts(profile_id):
            posts.setdefault(copy_fingerprint(existing), str(existing["id"]))
        return posts

    # --- adoption --------------------------------------------------------------------------

    async def find_child_by_name(
        self,
        entity_type: EntityType,
        parent_platform_id: str,
        name: str,
        *,
        exclude: Collection[str] = frozenset(),
    ) -> PlatformResult | None:
        async for item in self._children(entity_type, parent_platform_id):
            if (
                item.get("name") == name
                and item.get("configured_status") != DELETED
                and str(item.get("id")) not in exclude
            ):
                return PlatformResult(item["id"], await self._adopted_data(entity_type, item), item)
        return None

    async def find_children_by_name(
        self,
        entity_type: EntityType,
        lookups: Sequence[ChildLookup],
        *,
        exclude: Collection[str] = frozenset(),
    ) -> list[PlatformResult | None]:
        # Pages of 1,000: campaigns of the account; ad groups of one campaign, or of the
        # account when several campaigns are sought; ads of up to 200 ad groups per filter.
        # Listing stops once every lookup has its entity.
        found: list[dict[str, Any] | None] = [None] * len(lookups)
        waiting: dict[tuple[str, str], list[int]] = defaultdict(list)
        for position, lookup in enumerate(lookups):
            waiting[(lookup.parent_platform_id, lookup.name)].append(position)
        taken = set(exclude)
        for listing in self._listings(entity_type, lookups):
            async for item in listing:
                parent = self.ad_account_id if entity_type is EntityType.CAMPAIGN else None
                parent = parent or str(item.get(_PARENT_FIELD[entity_type], ""))
                positions = waiting.get((parent, str(item.get("name"))))
                item_id = str(item.get("id"))
                if not positions or item.get("configured_status") == DELETED or item_id in taken:
                    continue
                found[positions.pop(0)] = item
                taken.add(item_id)
                if not positions:
                    del waiting[(parent, str(item.get("name")))]
                if not waiting:
                    break
            if not waiting:
                break
        data = await asyncio.gather(
            *(self._adopted_data(entity_type, item) for item in found if item is not None)
        )
        answers = iter(data)
        return [
            None if item is None else PlatformResult(item["id"], next(answers), item)
            for item in found
        ]

    def _listings(
        self, entity_type: EntityType, lookups: Sequence[ChildLookup]
    ) -> list[AsyncIterator[dict[str, Any]]]:
        parents = sorted({lookup.parent_platform_id for lookup in lookups})
        if not parents:
            return []
        if entity_type is EntityType.AD_GROUP and len(parents) > 1:
            return [self.ads.list_ad_groups(self.ad_account_id)]
        if entity_type is EntityType.AD:
            return [
                self.ads.list_ads(
                    self.ad_account_id, ad_group_id=",".join(parents[i : i + MAX_FILTER_IDS])
                )
                for i in range(0, len(parents), MAX_FILTER_IDS)
            ]
        return [self._children(entity_type, parents[0])]

    def _children(self, entity_type: EntityType, parent_id: str) -> AsyncIterator[dict[str, Any]]:
        # Reddit filters ad groups by campaign_id and ads by ad_group_id on the server.
        if entity_type is EntityType.CAMPAIGN:
            return self.ads.list_campaigns(parent_id)
        if entity_type is EntityType.AD_GROUP:
            return self.ads.list_ad_groups(self.ad_account_id, campaign_id=parent_id)
        if entity_type is EntityType.AD:
            return self.ads.list_ads(self.ad_account_id, ad_group_id=parent_id)
        raise PlatformError(
            f"Reddit has no {entity_type.value} entities to look up",
            classification=ErrorClass.PERMANENT,
        )

    async def _adopted_data(
        self, entity_type: EntityType, item: dict[str, Any]
    ) -> dict[str, Any] | None:
        if entity_type is EntityType.AD and item.get(POST_ID):
            post = await self.ads.get_post(item[POST_ID])
            return _ad_data(item[POST_ID], copy_fingerprint(post))
        if entity_type is EntityType.CAMPAIGN:
            # No budget fingerprint: the update that follows an adoption re-sends shares.
            return {}
        return None

    # --- helpers ---------------------------------------------------------------------------

    async def _set_status(self, update: Update, entity: Entity, status: str) -> PlatformResult:
        data = await update(_platform_id(entity), status_patch(status))
        # None keeps the ledger's platform_data (an ad's post id survives a pause).
        return PlatformResult(data["id"], None, data)

    def _complete(self, ctx: PushContext) -> PushContext:
        if self.resources is None:
            return ctx
        return replace(
            ctx,
            funding_instrument_id=self._funding_override
            or ctx.funding_instrument_id
            or self.resources.funding_instrument_id,
            profile_id=ctx.profile_id or self.resources.profile_id,
            pixel_id=ctx.pixel_id or self.resources.pixel_id,
        )


def _ad_data(post_id: str, fingerprint: str) -> dict[str, Any]:
    return {POST_ID: post_id, COPY_FINGERPRINT: fingerprint}

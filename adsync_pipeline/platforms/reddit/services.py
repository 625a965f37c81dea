"""Typed entry points to the Reddit Ads API v3 resources adsync uses.

Payloads are dicts in Reddit's own field names (the mapping module builds them); bodies are
wrapped as `{"data": ...}` by the client and answers come back unwrapped.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import quote

from adsync_pipeline.platforms.reddit.client import RedditClient

Entity = dict[str, Any]


def _seg(value: str) -> str:
    return quote(str(value), safe="")


def _filters(**values: str | list[str] | None) -> dict[str, str]:
    """Query filters, lists comma-joined, unset ones dropped."""
    out: dict[str, str] = {}
    for name, value in values.items():
        if value is None:
            continue
        out[name] = ",".join(value) if isinstance(value, list) else value
    return out


async def _collect(items: AsyncIterator[Entity]) -> list[Entity]:
    return [item async for item in items]


class RedditAds:
    """Thin, one-method-per-operation service over a `RedditClient`."""

    def __init__(self, client: RedditClient) -> None:
        self.client = client

    # -- identity and account ------------------------------------------------------------

    async def me(self) -> Entity:
        return await self.client.get("/me")

    async def list_businesses(self) -> list[Entity]:
        return await _collect(self.client.paginate("/me/businesses"))

    async def list_business_ad_accounts(self, business_id: str) -> list[Entity]:
        return await _collect(self.client.paginate(f"/businesses/{_seg(business_id)}/ad_accounts"))

    async def get_ad_account(self, account_id: str) -> Entity:
        return await self.client.get(f"/ad_accounts/{_seg(account_id)}")

    async def list_funding_instruments(self, account_id: str) -> list[Entity]:
        path = f"/ad_accounts/{_seg(account_id)}/funding_instruments"
        return await _collect(self.client.paginate(path))

    async def default_funding_instrument(self, account_id: str, currency: str) -> Entity | None:
        return pick_funding_instrument(await self.list_funding_instruments(account_id), currency)

    async def list_profiles(self, account_id: str) -> list[Entity]:
        return await _collect(self.client.paginate(f"/ad_accounts/{_seg(account_id)}/profiles"))

    async def list_pixels(self, account_id: str) -> list[Entity]:
        return await _collect(self.client.paginate(f"/ad_accounts/{_seg(account_id)}/pixels"))

    # -- campaigns -----------------------------------------------------------------------

    def list_campaigns(
        self, account_id: str, *, ids: list[str] | None = None, page_size: int = 1000
    ) -> AsyncIterator[Entity]:
        path = f"/ad_accounts/{_seg(account_id)}/campaigns"
        return self.client.paginate(path, _filters(id=ids), page_size=page_size)

    async def create_campaign(self, account_id: str, payload: Mapping[str, Any]) -> Entity:
        return await self.client.create(f"/ad_accounts/{_seg(account_id)}/campaigns", payload)

    async def get_campaign(self, campaign_id: str) -> Entity:
        return await self.client.get(f"/campaigns/{_seg(campaign_id)}")

    async def update_campaign(self, campaign_id: str, patch: Mapping[str, Any]) -> Entity:
        return await self.client.patch(f"/campaigns/{_seg(campaign_id)}", patch)

    # -- ad groups -----------------------------------------------------------------------

    def list_ad_groups(
        self,
        account_id: str,
        *,
        campaign_id: str | None = None,
        ids: list[str] | None = None,
        page_size: int = 1000,
    ) -> AsyncIterator[Entity]:
        path = f"/ad_accounts/{_seg(account_id)}/ad_groups"
        params = _filters(campaign_id=campaign_id, id=ids)
        return self.client.paginate(path, params, page_size=page_size)

    async def create_ad_group(self, account_id: str, payload: Mapping[str, Any]) -> Entity:
        return await self.client.create(f"/ad_accounts/{_seg(account_id)}/ad_groups", payload)

    async def get_ad_group(self, ad_group_id: str) -> Entity:
        return await self.client.get(f"/ad_groups/{_seg(ad_group_id)}")

    async def update_ad_group(self, ad_group_id: str, patch: Mapping[str, Any]) -> Entity:
        return await self.client.patch(f"/ad_groups/{_seg(ad_group_id)}", patch)

    # -- ads -----------------------------------------------------------------------------

    def list_ads(
        self,
        account_id: str,
        *,
        ad_group_id: str | None = None,
        campaign_id: str | None = None,
        ids: list[str] | None = None,
        configured_status: str | None = None,
        effective_status: str | None = None,
        page_size: int = 1000,
    ) -> AsyncIterator[Entity]:
        path = f"/ad_accounts/{_seg(account_id)}/ads"
        params = _filters(
            ad_group_id=ad_group_id,
            campaign_id=campaign_id,
            id=ids,
            configured_status=configured_status,
            effective_status=effective_status,
        )
        return self.client.paginate(path, params, page_size=page_size)

    async def create_ad(self, account_id: str, payload: Mapping[str, Any]) -> Entity:
        return await self.client.create(f"/ad_accounts/{_seg(account_id)}/ads", payload)

    async def get_ad(self, ad_id: str) -> Entity:
        return await self.client.get(f"/ads/{_seg(ad_id)}")

    async def update_ad(self, ad_id: str, patch: Mapping[str, Any]) -> Entity:
        return await self.client.patch(f"/ads/{_seg(ad_id)}", patch)

    # -- posts (ad copy lives on a post under the account's profile) ---------------------

    async def create_post(self, profile_id: str, payload: Mapping[str, Any]) -> Entity:
        return await self.client.create(f"/profiles/{_seg(profile_id)}/posts", payload)

    def list_posts(self, profile_id: str) -> AsyncIterator[Entity]:
        # Reddit pages posts by at most 100.
        path = f"/profiles/{_seg(profile_id)}/posts"
        return self.client.paginate(path, page_size=100)

    async def get_post(self, post_id: str) -> Entity:
        return await self.client.get(f"/posts/{_seg(post_id)}")

    async def update_post(self, post_id: str, patch: Mapping[str, Any]) -> Entity:
        """Only `allow_comments` can change: post copy is immutable on Reddit."""
        return await self.client.patch(f"/posts/{_seg(post_id)}", patch)


def pick_funding_instrument(instruments: list[Entity], currency: str) -> Entity | None:
    """The account's default: servable and in its currency; the first such in Reddit's order."""
    for instrument in instruments:
        if instrument.get("is_servable") and instrument.get("currency") == currency:
            return instrument
    return None


@dataclass(frozen=True)
class AccountResources:
    funding_instrument_id: str | None
    profile_id: str | None
    pixel_id: str | None
    currency: str | None


class ResourceCache(Protocol):
    """`store.accounts.AccountRepository` implements this."""

    def cache_resources(
        self,
        account_id: int,
        *,
        funding_instrument_id: str | None,
        profile_id: str | None,
        pixel_id: str | None,
        currency: str | None,
    ) -> object: ...


async def ensure_account_resources(
    ads: RedditAds,
    cache: ResourceCache,
    *,
    account_id: int,
    platform_account_id: str,
    cached: AccountResources | None = None,
) -> AccountResources:
    """The account's funding instrument, profile, pixel and currency, cached on the account
    row. Re-read from Reddit when nothing is cached or the cached instrument stopped being
    servable (the instruments list is cheap and tells us both at once)."""
    instruments = await ads.list_funding_instruments(platform_account_id)
    if cached is not None and cached.funding_instrument_id and cached.currency:
        current = next((i for i in instruments if i.get("id") == cached.funding_instrument_id), {})
        if current.get("is_servable") and cached.profile_id:
            return cached
    account = await ads.get_ad_account(platform_account_id)
    currency = account.get("currency")
    instrument = pick_funding_instrument(instruments, currency) if currency else None
    profiles = await ads.list_profiles(platform_account_id)
    pixels = await ads.list_pixels(platform_account_id)
    resources = AccountResources(
        funding_instrument_id=instrument.get("id") if instrument else None,
        profile_id=profiles[0].get("id") if profiles else None,
        pixel_id=pixels[0].get("id") if pixels else None,
        currency=currency,
    )
    cache.cache_resources(
        account_id,
        funding_instrument_id=resources.funding_instrument_id,
        profile_id=resources.profile_id,
        pixel_id=resources.pixel_id,
        currency=resources.currency,
    )
    return resources

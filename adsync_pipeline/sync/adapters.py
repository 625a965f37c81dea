"""Opening the platform adapter of a stored ad account connection, for one push."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

from adsync_pipeline.config import RedditSettings, reddit_settings
from adsync_pipeline.errors import AdsyncError
from adsync_pipeline.platforms.adapter import CampaignSetPlatformAdapter
from adsync_pipeline.platforms.reddit.adapter import RedditAdapter
from adsync_pipeline.platforms.reddit.client import CallRecord, RedditClient
from adsync_pipeline.platforms.reddit.oauth import RedditOAuth
from adsync_pipeline.platforms.reddit.services import (
    AccountResources,
    RedditAds,
    ensure_account_resources,
)
from adsync_pipeline.platforms.reddit.tokens import VaultTokenProvider
from adsync_pipeline.security.vault import Vault
from adsync_pipeline.store.accounts import AccountRecord, AccountRepository
from adsync_pipeline.store.db import Database

SUPPORTED_PLATFORMS = ("reddit",)


@asynccontextmanager
async def open_adapter(
    db: Database,
    account: AccountRecord,
    on_call: Callable[[CallRecord], None],
    *,
    settings: RedditSettings | None = None,
    **client_options: Any,
) -> AsyncIterator[CampaignSetPlatformAdapter]:
    """The adapter of `account`, its every HTTP attempt reported to `on_call` (the audit
    log); the HTTP client is closed on exit. `client_options` tune the client's retries."""
    if account.platform not in SUPPORTED_PLATFORMS:
        raise AdsyncError(
            f"ad account {account.platform_account_id} is on {account.platform!r}, which adsync "
            f"cannot push to yet (supported: {', '.join(SUPPORTED_PLATFORMS)})"
        )
    # Dagster's RedditResource passes its settings; everyone else reads the environment.
    settings = settings or reddit_settings()
    repository = AccountRepository(db, Vault.from_env())
    tokens = VaultTokenProvider(account.id, repository, RedditOAuth(settings))
    async with RedditClient(tokens, settings=settings, on_call=on_call, **client_options) as client:
        ads = RedditAds(client)
        resources = await _account_resources(ads, repository, account)

        async def refresh() -> AccountResources:
            return await ensure_account_resources(
                ads,
                repository,
                account_id=account.id,
                platform_account_id=account.platform_account_id,
            )

        yield RedditAdapter(
            client,
            ads,
            ad_account_id=account.platform_account_id,
            resources=resources,
            refresh_resources=refresh,
        )


async def _account_resources(
    ads: RedditAds, repository: AccountRepository, account: AccountRecord
) -> AccountResources:
    """The cached funding instrument, profile and pixel; fetched and cached when any is
    missing (an account connected before they existed, or never looked up)."""
    cached = AccountResources(
        funding_instrument_id=account.funding_instrument_id,
        profile_id=account.profile_id,
        pixel_id=account.pixel_id,
        currency=account.currency,
    )
    if cached.funding_instrument_id and cached.profile_id and cached.pixel_id:
        return cached
    return await ensure_account_resources(
        ads, repository, account_id=account.id, platform_account_id=account.platform_account_id
    )

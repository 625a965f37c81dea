"""Connecting an ad account: validate a grant, store its tokens encrypted, cache its resources.

The CLI (`adsync accounts add|connect`) and `adsync demo` share this. Nothing here prints or
logs a token: callers get an `AccountRecord`, which carries none.
"""

from __future__ import annotations

import asyncio

from adsync_pipeline.config import RedditSettings, reddit_settings
from adsync_pipeline.errors import AdsyncError
from adsync_pipeline.platforms.reddit.client import RedditClient, StaticTokenProvider
from adsync_pipeline.platforms.reddit.oauth import RedditOAuth, TokenGrant
from adsync_pipeline.platforms.reddit.services import RedditAds, ensure_account_resources
from adsync_pipeline.security.vault import Vault
from adsync_pipeline.store.accounts import AccountRecord, AccountRepository
from adsync_pipeline.store.db import Database

SUPPORTED_PLATFORMS = ("reddit",)


class AccountConnectError(AdsyncError):
    """An account could not be connected for a reason the user can act on."""


def _check_platform(platform: str) -> None:
    if platform not in SUPPORTED_PLATFORMS:
        raise AccountConnectError(
            f"unsupported platform {platform!r} (supported: {', '.join(SUPPORTED_PLATFORMS)})"
        )


async def store_grant(
    repo: AccountRepository,
    settings: RedditSettings,
    platform_account_id: str,
    grant: TokenGrant,
) -> AccountRecord:
    """Validate the account with the grant's access token, then store the tokens (encrypted
    by the repository's vault) and cache the account's funding instrument, profile and pixel."""
    if not grant.refresh_token:
        raise AccountConnectError(
            "Reddit issued no refresh token (the authorization was not permanent)"
        )
    async with RedditClient(StaticTokenProvider(grant.access_token), settings=settings) as client:
        ads = RedditAds(client)
        account = await ads.get_ad_account(platform_account_id)
        record = repo.upsert_account(
            "reddit",
            platform_account_id,
            name=account.get("name"),
            currency=account.get("currency"),
        )
        repo.save_tokens(
            record.id,
            refresh_token=grant.refresh_token,
            access_token=grant.access_token,
            expires_at=grant.expires_at,
            scope=grant.scope,
        )
        await ensure_account_resources(
            ads, repo, account_id=record.id, platform_account_id=platform_account_id
        )
    return repo.get(record.id)


async def connect_with_refresh_token_async(
    db: Database,
    platform: str,
    account_id: str,
    refresh_token: str,
    settings: RedditSettings | None = None,
) -> AccountRecord:
    """`connect_with_refresh_token` for callers already inside an event loop."""
    _check_platform(platform)
    settings = settings or reddit_settings()
    oauth = RedditOAuth(settings)  # missing client credentials fail here, before any work
    repo = AccountRepository(db, Vault.from_env())  # so does a missing or malformed key
    grant = await oauth.refresh(refresh_token)  # one refresh validates the token
    return await store_grant(repo, settings, account_id, grant)


def connect_with_refresh_token(
    db: Database,
    platform: str,
    account_id: str,
    refresh_token: str,
    settings: RedditSettings | None = None,
) -> AccountRecord:
    """Connect `account_id` headlessly from a refresh token obtained elsewhere: refresh once
    to validate it, store the tokens encrypted, cache funding instrument / profile / pixel.
    Connecting an already connected account replaces its tokens (idempotent)."""
    return asyncio.run(
        connect_with_refresh_token_async(db, platform, account_id, refresh_token, settings)
    )

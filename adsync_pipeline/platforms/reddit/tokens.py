"""Bearer tokens for the client, from the encrypted store, refreshed ahead of expiry.

Refreshes are coordinated twice: an asyncio lock so the tasks of one process refresh once,
and the store's compare-and-swap so two processes cannot lose each other's (rotated) token —
the loser re-reads and uses the winner's.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from adsync_pipeline.config import RedditSettings, reddit_settings
from adsync_pipeline.platforms.reddit.client import RedditClient
from adsync_pipeline.platforms.reddit.errors import RedditAuthError
from adsync_pipeline.platforms.reddit.oauth import RECONNECT_HINT, RedditOAuth, TokenGrant

log = logging.getLogger(__name__)

REFRESH_MARGIN = timedelta(minutes=5)


class TokenRecord(Protocol):
    """What the store hands back (`store.accounts.StoredTokens` fits)."""

    @property
    def access_token(self) -> str | None: ...
    @property
    def refresh_token(self) -> str: ...
    @property
    def access_token_expires_at(self) -> datetime | None: ...
    @property
    def version(self) -> int: ...
    @property
    def revoked_at(self) -> datetime | None: ...


class TokenStore(Protocol):
    """`store.accounts.AccountRepository` implements this."""

    def load_tokens(self, account_id: int) -> TokenRecord: ...

    def swap_tokens(
        self,
        account_id: int,
        expected_version: int,
        *,
        access_token: str,
        refresh_token: str,
        expires_at: datetime | None,
        scope: str | None,
    ) -> bool: ...


class VaultTokenProvider:
    """TokenProvider of one stored ad account connection."""

    def __init__(
        self,
        account_id: int,
        store: TokenStore,
        oauth: RedditOAuth,
        *,
        margin: timedelta = REFRESH_MARGIN,
    ) -> None:
        self.account_id = account_id
        self._store = store
        self._oauth = oauth
        self._margin = margin
        self._lock = asyncio.Lock()
        self._token: str | None = None
        self._expires_at: datetime | None = None
        self.refreshes = 0

    def _fresh(self, token: str | None, expires_at: datetime | None) -> bool:
        if token is None or expires_at is None:
            return False
        return expires_at - datetime.now(UTC) > self._margin

    async def access_token(self) -> str:
        if self._fresh(self._token, self._expires_at):
            return self._token  # type: ignore[return-value]
        async with self._lock:
            if self._fresh(self._token, self._expires_at):
                return self._token  # type: ignore[return-value]
            return await self._renew(rejected=None)

    async def refresh(self, rejected: str) -> str:
        async with self._lock:
            if self._token != rejected and self._fresh(self._token, self._expires_at):
                return self._token  # type: ignore[return-value]  # another task refreshed
            return await self._renew(rejected=rejected)

    async def _renew(self, rejected: str | None) -> str:
        record = self._store.load_tokens(self.account_id)
        self._check_connected(record)
        if record.access_token != rejected and self._fresh(
            record.access_token, record.access_token_expires_at
        ):
            return self._use(record.access_token, record.access_token_expires_at)
        try:
            grant = await self._oauth.refresh(record.refresh_token)
        except RedditAuthError:
            # A concurrent process may have rotated the refresh token under us.
            latest = self._store.load_tokens(self.account_id)
            if latest.version != record.version and self._fresh(
                latest.access_token, latest.access_token_expires_at
            ):
                return self._use(latest.access_token, latest.access_token_expires_at)
            raise
        self.refreshes += 1
        if self._swap(record.version, grant):
            log.info("refreshed the Reddit access token of ad account %s", self.account_id)
            return self._use(grant.access_token, grant.expires_at)
        latest = self._store.load_tokens(self.account_id)
        self._check_connected(latest)
        log.info("ad account %s was refreshed concurrently; using that token", self.account_id)
        return self._use(latest.access_token, latest.access_token_expires_at)

    def _swap(self, version: int, grant: TokenGrant) -> bool:
        return self._store.swap_tokens(
            self.account_id,
            version,
            access_token=grant.access_token,
            refresh_token=grant.refresh_token or "",
            expires_at=grant.expires_at,
            scope=grant.scope,
        )

    def _check_connected(self, record: TokenRecord) -> None:
        if record.revoked_at is not None or not record.refresh_token:
            raise RedditAuthError(
                f"ad account {self.account_id} is disconnected (revoked); {RECONNECT_HINT}"
            )

    def _use(self, token: str | None, expires_at: datetime | None) -> str:
        if token is None:
            raise RedditAuthError(f"ad account {self.account_id} has no access token")
        self._token, self._expires_at = token, expires_at
        return token


def client_for_account(
    account_id: int,
    store: TokenStore,
    *,
    settings: RedditSettings | None = None,
    **client_options: Any,
) -> RedditClient:
    """The usual way to talk to Reddit as one stored ad account connection:
    `client_for_account(record.id, AccountRepository(db, Vault.from_env()))`."""
    settings = settings or reddit_settings()
    provider = VaultTokenProvider(account_id, store, RedditOAuth(settings))
    return RedditClient(provider, settings=settings, **client_options)

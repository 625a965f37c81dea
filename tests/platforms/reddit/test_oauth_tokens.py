"""OAuth against the sandbox, the vault-backed token provider and its compare-and-swap."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from adsync_pipeline.config import ConfigError, RedditSettings
from adsync_pipeline.platforms.errors import ErrorClass, classify
from adsync_pipeline.platforms.reddit.client import RedditClient
from adsync_pipeline.platforms.reddit.errors import RedditAuthError
from adsync_pipeline.platforms.reddit.oauth import OAuthStateMismatch, RedditOAuth, check_state
from adsync_pipeline.platforms.reddit.services import (
    AccountResources,
    RedditAds,
    ensure_account_resources,
)
from adsync_pipeline.platforms.reddit.tokens import VaultTokenProvider
from adsync_pipeline.sandbox.reddit import RunningSandbox
from adsync_pipeline.sandbox.reddit_state import (
    FUNDING_INSTRUMENT_ID,
    PIXEL_ID,
    PROFILE_ID,
    REFRESH_TOKEN,
)
from adsync_pipeline.security.vault import Vault
from adsync_pipeline.store.accounts import AccountRepository
from adsync_pipeline.store.db import Database

from .conftest import ACCOUNT


def test_authorization_url_has_everything_reddit_needs(settings: RedditSettings) -> None:
    url, state = RedditOAuth(settings).authorization_url("http://127.0.0.1:9/callback")
    parts = urlsplit(url)
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
    assert parts.path == "/api/v1/authorize"
    assert query == {
        "client_id": settings.client_id,
        "response_type": "code",
        "state": state,
        "redirect_uri": "http://127.0.0.1:9/callback",
        "duration": "permanent",
        "scope": "adsread adsedit history",
    }
    assert len(state) >= 32 and state != RedditOAuth(settings).authorization_url("x")[1]
    check_state(state, state)
    with pytest.raises(OAuthStateMismatch):
        check_state(state, state + "x")
    with pytest.raises(OAuthStateMismatch):
        check_state(state, None)


def test_missing_client_credentials_is_a_clear_error(settings: RedditSettings) -> None:
    from dataclasses import replace

    with pytest.raises(ConfigError, match="ADSYNC_REDDIT_CLIENT_ID"):
        RedditOAuth(replace(settings, client_secret=""))


async def test_code_exchange_and_refresh(settings: RedditSettings) -> None:
    oauth = RedditOAuth(settings)
    redirect = "http://127.0.0.1:9/callback"
    url, state = oauth.authorization_url(redirect)
    location = httpx.get(url, headers={"User-Agent": settings.user_agent}).headers["location"]
    query = {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}
    check_state(state, query["state"])
    grant = await oauth.exchange_code(query["code"], redirect)
    assert grant.refresh_token and grant.access_token
    assert grant.expires_at > datetime.now(UTC) + timedelta(minutes=50)
    refreshed = await oauth.refresh(grant.refresh_token)
    assert refreshed.refresh_token == grant.refresh_token  # kept when not rotated
    with pytest.raises(RedditAuthError, match="authorization code"):
        await oauth.exchange_code(query["code"], redirect)  # single use


async def test_bad_client_secret_is_an_auth_error(settings: RedditSettings) -> None:
    from dataclasses import replace

    with pytest.raises(RedditAuthError, match="client credentials") as caught:
        await RedditOAuth(replace(settings, client_secret="wrong")).refresh(REFRESH_TOKEN)
    assert "wrong" not in str(caught.value)


async def _connected(repo: AccountRepository, settings: RedditSettings, expired: bool) -> int:
    grant = await RedditOAuth(settings).refresh(REFRESH_TOKEN)
    account = repo.upsert_account("reddit", ACCOUNT)
    expires = datetime.now(UTC) - timedelta(minutes=1) if expired else grant.expires_at
    repo.save_tokens(
        account.id,
        refresh_token=REFRESH_TOKEN,
        access_token=grant.access_token,
        expires_at=expires,
        scope=grant.scope,
    )
    return account.id


async def test_401_mid_run_refreshes_once_and_continues(
    reddit_sandbox: RunningSandbox,
    settings: RedditSettings,
    repo: AccountRepository,
    make_client: Callable[..., RedditClient],
) -> None:
    account_id = await _connected(repo, settings, expired=False)
    provider = VaultTokenProvider(account_id, repo, RedditOAuth(settings))
    client = make_client(tokens=provider)
    ads = RedditAds(client)
    version = repo.load_tokens(account_id).version
    for _ in range(3):
        await ads.get_ad_account(ACCOUNT)
    assert reddit_sandbox.expire_tokens() >= 1
    await asyncio.gather(*(ads.get_ad_account(ACCOUNT) for _ in range(8)))
    assert provider.refreshes == 1
    assert repo.load_tokens(account_id).version == version + 1
    statuses = [r.status for r in client.records]
    assert statuses.count(200) == 11 and set(statuses) <= {200, 401}
    assert all(r.outcome == "auth" for r in client.records if r.status == 401)
    issued = reddit_sandbox.state.snapshot()["oauth"]["access_tokens"]
    audit_text = repr(client.records)
    assert issued and not any(token in audit_text for token in [*issued, REFRESH_TOKEN])


async def test_expiring_token_is_refreshed_before_use(
    reddit_sandbox: RunningSandbox,
    settings: RedditSettings,
    repo: AccountRepository,
    make_client: Callable[..., RedditClient],
) -> None:
    account_id = await _connected(repo, settings, expired=True)
    provider = VaultTokenProvider(account_id, repo, RedditOAuth(settings))
    client = make_client(tokens=provider)
    await RedditAds(client).me()
    assert provider.refreshes == 1
    assert [r.status for r in client.records] == [200]


async def test_revoked_refresh_token_is_a_clear_auth_error(
    reddit_sandbox: RunningSandbox,
    settings: RedditSettings,
    repo: AccountRepository,
    make_client: Callable[..., RedditClient],
) -> None:
    account_id = await _connected(repo, settings, expired=False)
    await RedditOAuth(settings).revoke(REFRESH_TOKEN)
    reddit_sandbox.expire_tokens()
    client = make_client(tokens=VaultTokenProvider(account_id, repo, RedditOAuth(settings)))
    with pytest.raises(RedditAuthError, match="revoked.*reconnect") as caught:
        await RedditAds(client).me()
    assert classify(caught.value) is ErrorClass.AUTH
    assert REFRESH_TOKEN not in str(caught.value)


async def test_concurrent_refresh_by_two_processes_keeps_one_winner(
    reddit_sandbox: RunningSandbox,
    settings: RedditSettings,
    account_db: Database,
    vault: Vault,
) -> None:
    first = AccountRepository(account_db, vault)
    account_id = await _connected(first, settings, expired=True)
    version = first.load_tokens(account_id).version
    # Two "processes": separate engines on the same database file.
    other_db = Database.from_url(account_db.engine.url.render_as_string(hide_password=False))
    second = AccountRepository(other_db, vault)
    try:
        providers = [
            VaultTokenProvider(account_id, store, RedditOAuth(settings))
            for store in (first, second)
        ]
        tokens = await asyncio.gather(*(p.access_token() for p in providers))
    finally:
        other_db.dispose()
    stored = first.load_tokens(account_id)
    assert stored.version == version + 1  # one swap won, the other lost and re-read
    assert tokens[0] == tokens[1] == stored.access_token
    assert stored.refresh_token == REFRESH_TOKEN
    assert not first.swap_tokens(
        account_id,
        version,
        access_token="late",
        refresh_token="late",
        expires_at=None,
        scope=None,
    )


async def test_account_resources_are_cached_and_refreshed_when_unservable(
    reddit_sandbox: RunningSandbox,
    repo: AccountRepository,
    make_client: Callable[..., RedditClient],
) -> None:
    ads = RedditAds(make_client())
    account = repo.upsert_account("reddit", ACCOUNT)
    resources = await ensure_account_resources(
        ads, repo, account_id=account.id, platform_account_id=ACCOUNT
    )
    assert resources == AccountResources(FUNDING_INSTRUMENT_ID, PROFILE_ID, PIXEL_ID, "USD")
    row = repo.get(account.id)
    assert (row.funding_instrument_id, row.profile_id, row.pixel_id, row.currency) == (
        FUNDING_INSTRUMENT_ID,
        PROFILE_ID,
        PIXEL_ID,
        "USD",
    )
    again = await ensure_account_resources(
        ads, repo, account_id=account.id, platform_account_id=ACCOUNT, cached=resources
    )
    assert again == resources
    with reddit_sandbox.state.writing() as data:
        data["funding_instruments"][FUNDING_INSTRUMENT_ID]["is_servable"] = False
    refreshed = await ensure_account_resources(
        ads, repo, account_id=account.id, platform_account_id=ACCOUNT, cached=resources
    )
    assert refreshed.funding_instrument_id is None
    assert repo.get(account.id).funding_instrument_id is None

"""Fixtures of the Reddit client tests: sandbox-bound settings, clients and a token store."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Callable
from dataclasses import replace
from typing import Any

import pytest

from adsync_pipeline.config import RedditSettings, reddit_settings
from adsync_pipeline.platforms.reddit.client import CallRecord, RedditClient, StaticTokenProvider
from adsync_pipeline.platforms.reddit.oauth import RedditOAuth
from adsync_pipeline.sandbox.reddit import RunningSandbox
from adsync_pipeline.sandbox.reddit_state import CLIENT_ID, CLIENT_SECRET, REFRESH_TOKEN
from adsync_pipeline.security.vault import Vault
from adsync_pipeline.store.accounts import AccountRepository
from adsync_pipeline.store.db import Database

ACCOUNT = "t2_sandbox01"
USER_AGENT = "python:adsync:test (by /u/adsync_tests)"


@pytest.fixture
def settings(reddit_sandbox: RunningSandbox) -> RedditSettings:
    return replace(
        reddit_settings(),
        api_url=reddit_sandbox.api_url,
        auth_url=reddit_sandbox.auth_url,
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
        user_agent=USER_AGENT,
    )


@pytest.fixture
async def access_token(settings: RedditSettings) -> str:
    return (await RedditOAuth(settings).refresh(REFRESH_TOKEN)).access_token


@pytest.fixture
async def make_client(
    settings: RedditSettings, access_token: str
) -> AsyncIterator[Callable[..., RedditClient]]:
    """Builds sandbox clients with fast backoff; every CallRecord lands in `client.records`."""
    made: list[RedditClient] = []

    def build(**options: Any) -> RedditClient:
        records: list[CallRecord] = []
        options.setdefault("backoff_base", 0.02)
        options.setdefault("on_call", records.append)
        tokens = options.pop("tokens", None) or StaticTokenProvider(access_token)
        client = RedditClient(tokens, settings=settings, **options)
        client.records = records  # type: ignore[attr-defined]
        made.append(client)
        return client

    yield build
    for client in made:
        await client.aclose()


@pytest.fixture
def vault() -> Vault:
    return Vault(os.urandom(32))


@pytest.fixture
def account_db(database: Database) -> Database:
    """The store's migrated test database (SQLite and PostgreSQL)."""
    return database


@pytest.fixture
def repo(account_db: Database, vault: Vault) -> AccountRepository:
    return AccountRepository(account_db, vault)

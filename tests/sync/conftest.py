"""Pushing to the Reddit sandbox: the environment a real push reads, and a connected account."""

from __future__ import annotations

import pytest

from adsync_pipeline.sandbox.reddit import RunningSandbox
from adsync_pipeline.sandbox.reddit_state import (
    AD_ACCOUNT_ID,
    CLIENT_ID,
    CLIENT_SECRET,
    REFRESH_TOKEN,
)
from adsync_pipeline.security.vault import KEY_ENV, Vault, generate_key
from adsync_pipeline.store.accounts import AccountRepository
from adsync_pipeline.store.db import Database


@pytest.fixture
def reddit_env(reddit_sandbox: RunningSandbox, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ADSYNC_REDDIT_API_URL", reddit_sandbox.api_url)
    monkeypatch.setenv("ADSYNC_REDDIT_AUTH_URL", reddit_sandbox.auth_url)
    monkeypatch.setenv("ADSYNC_REDDIT_CLIENT_ID", CLIENT_ID)
    monkeypatch.setenv("ADSYNC_REDDIT_CLIENT_SECRET", CLIENT_SECRET)
    monkeypatch.setenv("ADSYNC_USER_AGENT", "python:adsync:test (by /u/adsync_tests)")
    monkeypatch.setenv(KEY_ENV, generate_key())


def connect_sandbox_account(database: Database) -> None:
    """Connected by a refresh token only, as `adsync accounts add` leaves it."""
    accounts = AccountRepository(database, Vault.from_env())
    account = accounts.upsert_account("reddit", AD_ACCOUNT_ID)
    accounts.save_tokens(
        account.id, refresh_token=REFRESH_TOKEN, access_token=None, expires_at=None, scope=None
    )

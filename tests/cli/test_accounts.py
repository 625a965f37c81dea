"""`adsync accounts`: the account is named the way `accounts list` shows it."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from adsync_pipeline.cli.accounts import resolve_account
from adsync_pipeline.cli.base import UserError
from adsync_pipeline.errors import NotFoundError
from adsync_pipeline.sandbox.reddit_state import AD_ACCOUNT_ID as ACCOUNT
from adsync_pipeline.store.accounts import AccountRecord


def test_revoke_by_the_platform_account_id_that_list_shows(adsync, connected: dict) -> None:
    listed = adsync("accounts", "list")
    header, row = listed.out.splitlines()
    assert header.split()[:5] == ["id", "platform", "account", "name", "state"]
    assert ACCOUNT in row and "connected" in row

    revoked = adsync("accounts", "revoke", ACCOUNT, "--json")

    assert revoked.code == 0, revoked.err
    assert json.loads(revoked.out)["revoked_at"]
    assert "revoked" in adsync("accounts", "list").out


def test_revoke_with_the_platform_named(adsync, connected: dict) -> None:
    revoked = adsync("accounts", "revoke", ACCOUNT, "--platform", "reddit", "--json")
    assert revoked.code == 0, revoked.err
    assert json.loads(revoked.out)["id"] == connected["id"]


def test_revoke_an_unknown_account_is_one_line(adsync, connected: dict) -> None:
    for unknown in ("t2_nope", "4242"):
        outcome = adsync("accounts", "revoke", unknown)
        assert outcome.code == 1
        assert outcome.err.startswith(f"error: no ad account '{unknown}'")
        assert len(outcome.err.strip().splitlines()) == 1
    assert "connected" in adsync("accounts", "list").out


def account(local_id: int, platform: str, platform_id: str) -> AccountRecord:
    return AccountRecord(
        id=local_id,
        platform=platform,
        platform_account_id=platform_id,
        name=None,
        currency=None,
        funding_instrument_id=None,
        profile_id=None,
        pixel_id=None,
        connected_at=datetime(2026, 12, 1, tzinfo=UTC),
    )


def test_an_id_naming_two_accounts_needs_the_platform_or_the_local_id() -> None:
    reddit = account(1, "reddit", "t2_shared")
    other = account(2, "google_ads", "t2_shared")
    numeric = account(3, "google_ads", "1")

    with pytest.raises(UserError, match="names several accounts .*pass --platform"):
        resolve_account([reddit, other], "t2_shared", None)
    assert resolve_account([reddit, other], "t2_shared", "reddit") == reddit
    assert resolve_account([reddit, other], "2", None) == other
    # "1" is account 1's local id and account 3's platform id.
    with pytest.raises(UserError, match="several"):
        resolve_account([reddit, numeric], "1", None)
    assert resolve_account([reddit, numeric], "1", "reddit") == reddit
    with pytest.raises(NotFoundError, match="no ad account 't2_x' on reddit"):
        resolve_account([reddit], "t2_x", "reddit")

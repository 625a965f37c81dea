"""`ADSYNC_ENCRYPTION_KEY` rotates: NEW,OLD reads tokens stored under either, and
`adsync keys rotate` re-encrypts them all under NEW, so OLD can go."""

from __future__ import annotations

import json

import pytest

from adsync_pipeline.security.vault import DecryptionError, Vault, generate_key, parse_key
from adsync_pipeline.store.accounts import AccountRepository
from adsync_pipeline.store.db import Database


def _connect(database: Database, key: str, account_id: str) -> int:
    repo = AccountRepository(database, Vault(parse_key(key)))
    account = repo.upsert_account("reddit", account_id, name=account_id)
    repo.save_tokens(
        account.id,
        refresh_token=f"refresh-{account_id}",
        access_token=f"access-{account_id}",
        expires_at=None,
        scope="adsedit",
    )
    return account.id


def test_rotate_reencrypts_every_token_under_the_new_key(
    adsync, db_url: str, database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ADSYNC_DATABASE_URL", db_url)
    old, new = generate_key(), generate_key()
    first = _connect(database, old, "t2_first")
    second = _connect(database, old, "t2_second")

    # NEW alone cannot read what OLD stored, and the rotation changes nothing then.
    monkeypatch.setenv("ADSYNC_ENCRYPTION_KEY", new)
    refused = adsync("keys", "rotate")
    assert refused.code == 1 and refused.err.startswith("error: ad account reddit t2_")
    assert "cannot be decrypted" in refused.err and old not in refused.err
    assert AccountRepository(database, Vault(parse_key(old))).load_tokens(first).refresh_token

    # While rotating, NEW,OLD reads both.
    monkeypatch.setenv("ADSYNC_ENCRYPTION_KEY", f"{new},{old}")
    rotated = adsync("keys", "rotate", "--json")
    assert rotated.code == 0, rotated.err
    assert json.loads(rotated.out) == {"rotated": 2, "already_current": 0}
    assert json.loads(adsync("keys", "rotate", "--json").out) == {
        "rotated": 0,
        "already_current": 2,
    }

    only_new = AccountRepository(database, Vault(parse_key(new)))
    tokens = only_new.load_tokens(second)
    assert (tokens.refresh_token, tokens.access_token) == ("refresh-t2_second", "access-t2_second")
    with pytest.raises(DecryptionError):
        AccountRepository(database, Vault(parse_key(old))).load_tokens(first)

from __future__ import annotations

import base64
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, update

from adsync_pipeline.config import ConfigError
from adsync_pipeline.local_config import write_local_config
from adsync_pipeline.security.vault import (
    DecryptionError,
    Vault,
    associated_data,
    generate_key,
    parse_key,
)
from adsync_pipeline.store.accounts import AccountRepository
from adsync_pipeline.store.models import OAuthToken

CONTEXT = associated_data("reddit", "t2_a", "refresh_token")


def test_round_trip_with_fresh_nonce_each_time(vault: Vault) -> None:
    first, second = vault.encrypt("s3cret", CONTEXT), vault.encrypt("s3cret", CONTEXT)
    assert first != second and first[:12] != second[:12]
    assert b"s3cret" not in first
    assert vault.decrypt(first, CONTEXT) == vault.decrypt(second, CONTEXT) == "s3cret"


def test_tampered_ciphertext_is_rejected(vault: Vault) -> None:
    blob = bytearray(vault.encrypt("s3cret", CONTEXT))
    blob[-1] ^= 1
    with pytest.raises(DecryptionError, match="altered"):
        vault.decrypt(bytes(blob), CONTEXT)


def test_wrong_key_is_rejected(vault: Vault) -> None:
    blob = vault.encrypt("s3cret", CONTEXT)
    with pytest.raises(DecryptionError, match="ADSYNC_ENCRYPTION_KEY"):
        Vault(os.urandom(32)).decrypt(blob, CONTEXT)


def test_ciphertext_is_bound_to_its_account_and_kind(vault: Vault) -> None:
    blob = vault.encrypt("s3cret", CONTEXT)
    for other in (
        associated_data("reddit", "t2_b", "refresh_token"),
        associated_data("reddit", "t2_a", "access_token"),
    ):
        with pytest.raises(DecryptionError):
            vault.decrypt(blob, other)


@pytest.mark.parametrize(
    "raw",
    [
        base64.urlsafe_b64encode(bytes(range(32))).decode(),
        base64.b64encode(bytes(range(32))).decode(),
        bytes(range(32)).hex(),
        generate_key(),
    ],
)
def test_key_formats(raw: str) -> None:
    assert len(parse_key(raw)) == 32


@pytest.mark.parametrize("raw", ["short", "zz" * 32, base64.b64encode(b"x" * 16).decode()])
def test_malformed_key_is_one_clear_error(raw: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ADSYNC_ENCRYPTION_KEY", raw)
    with pytest.raises(ConfigError, match="ADSYNC_ENCRYPTION_KEY.*urlsafe_b64encode"):
        Vault.from_env()


def test_missing_key_does_not_advise_a_new_one(monkeypatch: pytest.MonkeyPatch) -> None:
    """A new key cannot read stored tokens: the error says where the key is looked for."""
    monkeypatch.setenv("ADSYNC_ENCRYPTION_KEY", "")
    with pytest.raises(ConfigError) as raised:
        Vault.from_env()
    message = str(raised.value)
    assert "adsync.env does not provide it" in message and "a new key cannot" in message
    assert "urlsafe_b64encode" not in message


def test_key_comes_from_the_local_configuration_unless_the_environment_sets_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    local, env = generate_key(), generate_key()
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path))
    monkeypatch.delenv("ADSYNC_ENCRYPTION_KEY", raising=False)
    write_local_config(tmp_path, {"ADSYNC_ENCRYPTION_KEY": local})
    blob = Vault(parse_key(local)).encrypt("s3cret", CONTEXT)
    assert Vault.from_env().decrypt(blob, CONTEXT) == "s3cret"
    monkeypatch.setenv("ADSYNC_ENCRYPTION_KEY", env)
    with pytest.raises(DecryptionError):
        Vault.from_env().decrypt(blob, CONTEXT)


def test_tokens_rest_encrypted_and_swapped_rows_fail(repo: AccountRepository) -> None:
    one = repo.upsert_account("reddit", "t2_one")
    two = repo.upsert_account("reddit", "t2_two")
    expires = datetime.now(UTC) + timedelta(hours=1)
    for account, secret in ((one, "refresh-one"), (two, "refresh-two")):
        repo.save_tokens(
            account.id, refresh_token=secret, access_token="acc", expires_at=expires, scope="x"
        )
    assert repo.load_tokens(one.id).refresh_token == "refresh-one"
    with repo.db.transaction() as session:
        rows = {r.ad_account_id: r for r in session.scalars(select(OAuthToken))}
        assert b"refresh-one" not in rows[one.id].refresh_token_encrypted
        stolen = rows[one.id].refresh_token_encrypted
        session.execute(
            update(OAuthToken)
            .where(OAuthToken.ad_account_id == two.id)
            .values(refresh_token_encrypted=stolen)
        )
    with pytest.raises(DecryptionError):
        repo.load_tokens(two.id)
    assert "refresh-one" not in repr(repo.load_tokens(one.id))

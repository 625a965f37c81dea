"""Ad accounts and their OAuth tokens: the only SQL for either.

Tokens go in and come out as plaintext here and are encrypted with the vault in between, so
nothing else ever handles the ciphertext. Token updates are a compare-and-swap on `version`:
two processes refreshing the same account at once cannot overwrite each other's rotation.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select, update

from adsync_pipeline.errors import AdsyncError, NotFoundError
from adsync_pipeline.security.vault import DecryptionError, Vault, associated_data
from adsync_pipeline.store.db import Database
from adsync_pipeline.store.models import AdAccount, OAuthToken, utcnow

ACCESS = "access_token"
REFRESH = "refresh_token"


@dataclass(frozen=True)
class RotationResult:
    rotated: int
    already_current: int


@dataclass(frozen=True)
class AccountRecord:
    id: int
    platform: str
    platform_account_id: str
    name: str | None
    currency: str | None
    funding_instrument_id: str | None
    profile_id: str | None
    pixel_id: str | None
    connected_at: datetime | None
    has_tokens: bool = False
    revoked_at: datetime | None = None

    def to_dict(self) -> dict[str, Any]:
        """Safe to print: there is no token in an AccountRecord."""
        return {k: getattr(self, k) for k in self.__dataclass_fields__}


@dataclass(frozen=True)
class StoredTokens:
    ad_account_id: int
    access_token: str | None
    refresh_token: str
    access_token_expires_at: datetime | None
    scope: str | None
    version: int
    revoked_at: datetime | None

    def __repr__(self) -> str:  # tokens never reach logs through a repr
        return (
            f"StoredTokens(ad_account_id={self.ad_account_id}, version={self.version}, "
            f"expires_at={self.access_token_expires_at}, revoked_at={self.revoked_at})"
        )


def _record(row: AdAccount, token: OAuthToken | None) -> AccountRecord:
    return AccountRecord(
        id=row.id,
        platform=row.platform,
        platform_account_id=row.platform_account_id,
        name=row.name,
        currency=row.currency,
        funding_instrument_id=row.funding_instrument_id,
        profile_id=row.profile_id,
        pixel_id=row.pixel_id,
        connected_at=row.connected_at,
        has_tokens=token is not None,
        revoked_at=token.revoked_at if token is not None else None,
    )


class AccountRepository:
    """`vault` is needed only by the token methods (listing accounts needs no key)."""

    def __init__(self, db: Database, vault: Vault | None = None) -> None:
        self.db = db
        self._vault = vault

    # -- accounts -------------------------------------------------------------------------

    def upsert_account(
        self,
        platform: str,
        platform_account_id: str,
        *,
        name: str | None = None,
        currency: str | None = None,
    ) -> AccountRecord:
        with self.db.transaction() as session:
            row = session.scalar(
                select(AdAccount).where(
                    AdAccount.platform == platform,
                    AdAccount.platform_account_id == platform_account_id,
                )
            )
            if row is None:
                row = AdAccount(platform=platform, platform_account_id=platform_account_id)
                session.add(row)
            if name is not None:
                row.name = name
            if currency is not None:
                row.currency = currency
            session.flush()
            token = session.scalar(select(OAuthToken).where(OAuthToken.ad_account_id == row.id))
            return _record(row, token)

    def get(self, account_id: int) -> AccountRecord:
        with self.db.transaction() as session:
            row = session.get(AdAccount, account_id)
            if row is None:
                raise NotFoundError(f"ad account {account_id} does not exist")
            token = session.scalar(select(OAuthToken).where(OAuthToken.ad_account_id == row.id))
            return _record(row, token)

    def find(self, platform: str, platform_account_id: str) -> AccountRecord | None:
        with self.db.transaction() as session:
            row = session.scalar(
                select(AdAccount).where(
                    AdAccount.platform == platform,
                    AdAccount.platform_account_id == platform_account_id,
                )
            )
            if row is None:
                return None
            token = session.scalar(select(OAuthToken).where(OAuthToken.ad_account_id == row.id))
            return _record(row, token)

    def list(self, platform: str | None = None) -> list[AccountRecord]:
        with self.db.transaction() as session:
            query = select(AdAccount, OAuthToken).outerjoin(
                OAuthToken, OAuthToken.ad_account_id == AdAccount.id
            )
            if platform is not None:
                query = query.where(AdAccount.platform == platform)
            rows = session.execute(query.order_by(AdAccount.id)).all()
            return [_record(account, token) for account, token in rows]

    def cache_resources(
        self,
        account_id: int,
        *,
        funding_instrument_id: str | None,
        profile_id: str | None,
        pixel_id: str | None,
        currency: str | None,
    ) -> AccountRecord:
        with self.db.transaction() as session:
            row = session.get(AdAccount, account_id)
            if row is None:
                raise NotFoundError(f"ad account {account_id} does not exist")
            row.funding_instrument_id = funding_instrument_id
            row.profile_id = profile_id
            row.pixel_id = pixel_id
            row.currency = currency or row.currency
            session.flush()
            token = session.scalar(select(OAuthToken).where(OAuthToken.ad_account_id == row.id))
            return _record(row, token)

    # -- tokens ---------------------------------------------------------------------------

    def _vault_or_fail(self) -> Vault:
        if self._vault is None:
            raise AdsyncError("token storage needs the vault (ADSYNC_ENCRYPTION_KEY)")
        return self._vault

    def save_tokens(
        self,
        account_id: int,
        *,
        refresh_token: str,
        access_token: str | None,
        expires_at: datetime | None,
        scope: str | None,
    ) -> StoredTokens:
        """Store a new connection's tokens (replacing any previous connection)."""
        with self.db.transaction() as session:
            account = session.get(AdAccount, account_id)
            if account is None:
                raise NotFoundError(f"ad account {account_id} does not exist")
            row = session.scalar(select(OAuthToken).where(OAuthToken.ad_account_id == account_id))
            if row is None:
                row = OAuthToken(ad_account_id=account_id, version=0)
                session.add(row)
            encrypted = self._encrypt(account, access_token, refresh_token)
            row.access_token_encrypted, row.refresh_token_encrypted = encrypted
            row.access_token_expires_at = expires_at
            row.scope = scope
            row.revoked_at = None
            row.version = (row.version or 0) + 1
            account.connected_at = utcnow()
            session.flush()
            return self._decrypt(account, row)

    def load_tokens(self, account_id: int) -> StoredTokens:
        with self.db.transaction() as session:
            account = session.get(AdAccount, account_id)
            row = session.scalar(select(OAuthToken).where(OAuthToken.ad_account_id == account_id))
            if account is None or row is None:
                raise NotFoundError(f"ad account {account_id} has no stored connection")
            return self._decrypt(account, row)

    def swap_tokens(
        self,
        account_id: int,
        expected_version: int,
        *,
        access_token: str,
        refresh_token: str,
        expires_at: datetime | None,
        scope: str | None,
    ) -> bool:
        """Write refreshed tokens only if nobody wrote since `expected_version` was read.
        False means another process won: re-read and use its tokens."""
        with self.db.transaction() as session:
            account = session.get(AdAccount, account_id)
            if account is None:
                raise NotFoundError(f"ad account {account_id} does not exist")
            access, refresh = self._encrypt(account, access_token, refresh_token)
            result = session.execute(
                update(OAuthToken)
                .where(
                    OAuthToken.ad_account_id == account_id,
                    OAuthToken.version == expected_version,
                    OAuthToken.revoked_at.is_(None),
                )
                .values(
                    access_token_encrypted=access,
                    refresh_token_encrypted=refresh,
                    access_token_expires_at=expires_at,
                    scope=scope,
                    version=expected_version + 1,
                    updated_at=utcnow(),
                )
                .execution_options(synchronize_session=False)
            )
            return result.rowcount == 1

    def mark_revoked(self, account_id: int) -> None:
        """Forget the tokens (the ciphertext too) and remember when the connection ended."""
        with self.db.transaction() as session:
            row = session.scalar(select(OAuthToken).where(OAuthToken.ad_account_id == account_id))
            if row is None:
                raise NotFoundError(f"ad account {account_id} has no stored connection")
            row.access_token_encrypted = None
            row.refresh_token_encrypted = b""
            row.access_token_expires_at = None
            row.revoked_at = utcnow()
            row.version += 1

    def reencrypt_tokens(self) -> RotationResult:
        """Re-encrypt every stored token under the vault's current key, in one transaction:
        a token none of the keys can read stops the rotation with nothing changed."""
        vault = self._vault_or_fail()
        rotated = current = 0
        with self.db.transaction() as session:
            rows = session.execute(
                select(AdAccount, OAuthToken).join(
                    OAuthToken, OAuthToken.ad_account_id == AdAccount.id
                )
            ).all()
            for account, token in rows:
                if token.revoked_at is not None:
                    continue
                key = (account.platform, account.platform_account_id)
                blobs = {
                    REFRESH: token.refresh_token_encrypted,
                    ACCESS: token.access_token_encrypted,
                }
                plain: dict[str, str | None] = {}
                older = False
                for kind, blob in blobs.items():
                    if not blob:
                        plain[kind] = None
                        continue
                    try:
                        text, by_older_key = vault.decrypt_with_key_age(
                            blob, associated_data(*key, kind)
                        )
                    except DecryptionError as exc:
                        raise DecryptionError(
                            f"ad account {account.platform} {account.platform_account_id}: {exc}"
                        ) from None
                    plain[kind] = text
                    older = older or by_older_key
                if not older:
                    current += 1
                    continue
                access, refresh = self._encrypt(account, plain[ACCESS], plain[REFRESH] or "")
                token.access_token_encrypted, token.refresh_token_encrypted = access, refresh
                token.version += 1
                rotated += 1
        return RotationResult(rotated=rotated, already_current=current)

    def _encrypt(
        self, account: AdAccount, access_token: str | None, refresh_token: str
    ) -> tuple[bytes | None, bytes]:
        vault = self._vault_or_fail()
        key = (account.platform, account.platform_account_id)
        access = (
            vault.encrypt(access_token, associated_data(*key, ACCESS))
            if access_token is not None
            else None
        )
        return access, vault.encrypt(refresh_token, associated_data(*key, REFRESH))

    def _decrypt(self, account: AdAccount, row: OAuthToken) -> StoredTokens:
        key = (account.platform, account.platform_account_id)
        if row.revoked_at is not None:
            access, refresh = None, ""
        else:
            vault = self._vault_or_fail()
            access = (
                vault.decrypt(row.access_token_encrypted, associated_data(*key, ACCESS))
                if row.access_token_encrypted
                else None
            )
            refresh = vault.decrypt(row.refresh_token_encrypted, associated_data(*key, REFRESH))
        return StoredTokens(
            ad_account_id=account.id,
            access_token=access,
            refresh_token=refresh,
            access_token_expires_at=row.access_token_expires_at,
            scope=row.scope,
            version=row.version,
            revoked_at=row.revoked_at,
        )

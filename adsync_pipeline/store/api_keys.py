"""API keys for the HTTP API. Only a SHA-256 digest of each key is stored: the keys are
32 random bytes, so a fast hash is enough (there is nothing to brute-force), and a lookup
by digest needs no per-key work."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from adsync_pipeline.errors import AdsyncError, NotFoundError
from adsync_pipeline.store.db import Database
from adsync_pipeline.store.models import ApiKey, utcnow

KEY_PREFIX = "adsk_"
# Shown in listings so a person can tell keys apart without seeing them.
SHOWN_PREFIX_LENGTH = len(KEY_PREFIX) + 6
# `last_used_at` is a hint for people, not an audit: writing it on every request would
# turn each read into a write competing with the push engine for the database.
LAST_USED_RESOLUTION = timedelta(minutes=1)


class DuplicateKeyName(AdsyncError):
    """An API key with that name exists already."""


@dataclass(frozen=True)
class ApiKeyRecord:
    id: int
    name: str
    prefix: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


def _record(row: ApiKey) -> ApiKeyRecord:
    return ApiKeyRecord(
        id=row.id,
        name=row.name,
        prefix=row.prefix,
        created_at=row.created_at,
        last_used_at=row.last_used_at,
        revoked_at=row.revoked_at,
    )


def digest(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


class ApiKeyRepository:
    def __init__(self, db: Database) -> None:
        self.db = db

    def create(self, name: str) -> tuple[ApiKeyRecord, str]:
        """A new key named `name`: its record, and the key itself (never stored)."""
        key = KEY_PREFIX + secrets.token_urlsafe(32)
        try:
            with self.db.transaction() as session:
                row = ApiKey(name=name, prefix=key[:SHOWN_PREFIX_LENGTH], key_hash=digest(key))
                session.add(row)
                session.flush()
                record = _record(row)
        except IntegrityError:
            raise DuplicateKeyName(f"an API key named {name!r} exists already") from None
        return record, key

    def list(self) -> list[ApiKeyRecord]:
        with self.db.sessions() as session:
            rows = session.execute(select(ApiKey).order_by(ApiKey.id)).scalars()
            return [_record(row) for row in rows]

    def revoke(self, name: str) -> ApiKeyRecord:
        with self.db.transaction() as session:
            row = session.execute(select(ApiKey).where(ApiKey.name == name)).scalar_one_or_none()
            if row is None:
                raise NotFoundError(f"no API key named {name!r}")
            if row.revoked_at is None:
                row.revoked_at = utcnow()
            return _record(row)

    def authenticate(self, key: str) -> ApiKeyRecord | None:
        """The live key matching `key`, or None (unknown or revoked)."""
        wanted = digest(key)
        with self.db.sessions() as session:
            row = session.execute(
                select(ApiKey).where(ApiKey.key_hash == wanted)
            ).scalar_one_or_none()
            # The lookup already matched; the constant-time compare keeps the decision itself
            # free of timing differences should the lookup ever become a prefix scan.
            if row is None or not hmac.compare_digest(row.key_hash, wanted):
                return None
            if row.revoked_at is not None:
                return None
            now = utcnow()
            if row.last_used_at is None or now - row.last_used_at > LAST_USED_RESOLUTION:
                row.last_used_at = now
                session.commit()
            return _record(row)

"""The SQLAlchemy 2.x ORM schema. Alembic migrations under `migrations/` must match it
(a test compares them). Only `store/` imports this module."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from adsync_pipeline.store.types import Money, UTCDateTime

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    return datetime.now(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {datetime: UTCDateTime(), Decimal: Money(), dict[str, Any]: JSON}


class AdAccount(Base):
    __tablename__ = "ad_accounts"
    __table_args__ = (UniqueConstraint("platform", "platform_account_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    platform: Mapped[str] = mapped_column(String(32))
    platform_account_id: Mapped[str] = mapped_column(String(64))
    name: Mapped[str | None] = mapped_column(String(500))
    currency: Mapped[str | None] = mapped_column(String(3))
    # Cached from the platform; refreshed when the instrument stops being servable.
    funding_instrument_id: Mapped[str | None] = mapped_column(String(64))
    profile_id: Mapped[str | None] = mapped_column(String(64))
    pixel_id: Mapped[str | None] = mapped_column(String(64))
    connected_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class OAuthToken(Base):
    """Encrypted tokens of one ad account's connection. `version` makes refreshes a
    compare-and-swap, so two processes refreshing at once cannot lose a rotated token."""

    __tablename__ = "oauth_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    ad_account_id: Mapped[int] = mapped_column(
        ForeignKey("ad_accounts.id", ondelete="CASCADE"), unique=True
    )
    access_token_encrypted: Mapped[bytes | None] = mapped_column(LargeBinary)
    refresh_token_encrypted: Mapped[bytes] = mapped_column(LargeBinary)
    access_token_expires_at: Mapped[datetime | None]
    scope: Mapped[str | None] = mapped_column(String(500))
    version: Mapped[int] = mapped_column(Integer, default=1)
    revoked_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class CampaignSetRow(Base):
    __tablename__ = "campaign_sets"
    __table_args__ = (UniqueConstraint("ad_account_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(500))
    platform: Mapped[str] = mapped_column(String(32))
    ad_account_id: Mapped[int] = mapped_column(ForeignKey("ad_accounts.id"))
    status: Mapped[str] = mapped_column(String(16), default="draft")
    sync_status: Mapped[str] = mapped_column(String(16), default="pending")
    last_synced_at: Mapped[datetime | None]
    revision: Mapped[int] = mapped_column(Integer, default=1)
    archived_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class SyncColumns:
    """Ledger columns every pushable entity carries."""

    key: Mapped[str] = mapped_column(String(200))
    platform_id: Mapped[str | None] = mapped_column(String(64))
    sync_status: Mapped[str] = mapped_column(String(16), default="pending")
    last_pushed_fingerprint: Mapped[str | None] = mapped_column(String(64))
    last_synced_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None]
    # Set when a re-import no longer lists the entity; the push engine removes it remotely.
    removed_at: Mapped[datetime | None]
    # Adapter-specific facts about the platform twin (e.g. Reddit's post id behind an ad).
    platform_data: Mapped[dict[str, Any] | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class CampaignRow(SyncColumns, Base):
    __tablename__ = "campaigns"
    __table_args__ = (UniqueConstraint("campaign_set_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_set_id: Mapped[int] = mapped_column(
        ForeignKey("campaign_sets.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(Integer, default=0)
    name: Mapped[str] = mapped_column(String(500))
    objective: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16))
    budget_type: Mapped[str] = mapped_column(String(16))
    budget_amount: Mapped[Decimal]
    budget_currency: Mapped[str] = mapped_column(String(3))
    start_time: Mapped[datetime | None]
    end_time: Mapped[datetime | None]


class AdGroupRow(SyncColumns, Base):
    __tablename__ = "ad_groups"
    __table_args__ = (UniqueConstraint("campaign_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"))
    # Denormalised so a whole set loads with one query per level.
    campaign_set_id: Mapped[int] = mapped_column(
        ForeignKey("campaign_sets.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(Integer, default=0)
    name: Mapped[str] = mapped_column(String(500))
    status: Mapped[str] = mapped_column(String(16))
    bid_strategy: Mapped[str] = mapped_column(String(16))
    bid_amount: Mapped[Decimal | None]
    targeting: Mapped[dict[str, Any]]
    optimization_goal: Mapped[str | None] = mapped_column(String(64))


class AdRow(SyncColumns, Base):
    __tablename__ = "ads"
    __table_args__ = (UniqueConstraint("ad_group_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    ad_group_id: Mapped[int] = mapped_column(ForeignKey("ad_groups.id", ondelete="CASCADE"))
    campaign_set_id: Mapped[int] = mapped_column(
        ForeignKey("campaign_sets.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(Integer, default=0)
    name: Mapped[str] = mapped_column(String(500))
    status: Mapped[str] = mapped_column(String(16))
    headline: Mapped[str] = mapped_column(String(500))
    description: Mapped[str] = mapped_column(Text, default="")
    final_url: Mapped[str] = mapped_column(String(5000))
    display_url: Mapped[str | None] = mapped_column(String(5000))
    call_to_action: Mapped[str] = mapped_column(String(32))


class KeywordRow(SyncColumns, Base):
    __tablename__ = "keywords"
    __table_args__ = (UniqueConstraint("ad_group_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    ad_group_id: Mapped[int] = mapped_column(ForeignKey("ad_groups.id", ondelete="CASCADE"))
    campaign_set_id: Mapped[int] = mapped_column(
        ForeignKey("campaign_sets.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(Integer, default=0)
    text: Mapped[str] = mapped_column(String(500))
    match_type: Mapped[str] = mapped_column(String(16))


class SyncRecord(Base):
    """Per entity per platform: the seed's sync record, with an append-only error log."""

    __tablename__ = "sync_records"
    __table_args__ = (UniqueConstraint("entity_type", "entity_id", "platform"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    entity_type: Mapped[str] = mapped_column(String(16))
    entity_id: Mapped[int] = mapped_column(Integer)
    platform: Mapped[str] = mapped_column(String(32))
    platform_id: Mapped[str | None] = mapped_column(String(64))
    sync_status: Mapped[str] = mapped_column(String(16), default="pending")
    last_synced_at: Mapped[datetime | None]
    error_log: Mapped[dict[str, Any] | None]


class CreateIntent(Base):
    """Committed before every create; resolved by adoption or by the create's answer."""

    __tablename__ = "create_intents"

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_set_id: Mapped[int] = mapped_column(
        ForeignKey("campaign_sets.id", ondelete="CASCADE"), index=True
    )
    entity_type: Mapped[str] = mapped_column(String(16))
    entity_id: Mapped[int] = mapped_column(Integer)
    parent_platform_id: Mapped[str | None] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(500))
    run_id: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    resolved_at: Mapped[datetime | None]
    outcome: Mapped[str | None] = mapped_column(String(16))
    platform_id: Mapped[str | None] = mapped_column(String(64))


class SyncRun(Base):
    __tablename__ = "sync_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[str] = mapped_column(String(64), index=True)
    campaign_set_id: Mapped[int | None] = mapped_column(
        ForeignKey("campaign_sets.id", ondelete="SET NULL"), index=True
    )
    ad_account_id: Mapped[int | None] = mapped_column(ForeignKey("ad_accounts.id"))
    kind: Mapped[str] = mapped_column(String(16), default="push")
    trigger: Mapped[str | None] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16), default="running")
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None]
    synced: Mapped[int] = mapped_column(Integer, default=0)
    failed: Mapped[int] = mapped_column(Integer, default=0)
    skipped: Mapped[int] = mapped_column(Integer, default=0)
    api_calls: Mapped[int] = mapped_column(Integer, default=0)
    rate_limited: Mapped[int] = mapped_column(Integer, default=0)
    retries: Mapped[int] = mapped_column(Integer, default=0)
    summary: Mapped[dict[str, Any] | None]


class SyncAudit(Base):
    """One row per platform call: the authoritative audit log."""

    __tablename__ = "sync_audit"
    __table_args__ = (Index("ix_sync_audit_account_time", "ad_account_id", "created_at"),)

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    run_id: Mapped[str | None] = mapped_column(String(64), index=True)
    campaign_set_id: Mapped[int | None] = mapped_column(Integer, index=True)
    ad_account_id: Mapped[int | None] = mapped_column(Integer)
    platform: Mapped[str] = mapped_column(String(32))
    entity_type: Mapped[str | None] = mapped_column(String(16))
    entity_key: Mapped[str | None] = mapped_column(String(200))
    operation: Mapped[str] = mapped_column(String(32))
    method: Mapped[str] = mapped_column(String(8))
    path: Mapped[str] = mapped_column(String(2000))
    http_status: Mapped[int | None] = mapped_column(Integer)
    latency_ms: Mapped[int | None] = mapped_column(Integer)
    attempt: Mapped[int] = mapped_column(Integer, default=1)
    outcome: Mapped[str] = mapped_column(String(16))
    error: Mapped[str | None] = mapped_column(Text)
    request_summary: Mapped[dict[str, Any] | None]
    response_summary: Mapped[dict[str, Any] | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class SyncRequest(Base):
    """A request to push a set, served by the Dagster sensor (or run at once with --now)."""

    __tablename__ = "sync_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_set_id: Mapped[int] = mapped_column(
        ForeignKey("campaign_sets.id", ondelete="CASCADE"), index=True
    )
    revision: Mapped[int] = mapped_column(Integer)
    operation: Mapped[str] = mapped_column(String(16), default="push")
    requested_at: Mapped[datetime] = mapped_column(default=utcnow)
    requested_by: Mapped[str | None] = mapped_column(String(200))
    trigger: Mapped[str] = mapped_column(String(32), default="manual")
    status: Mapped[str] = mapped_column(String(16), default="queued", index=True)
    dagster_run_id: Mapped[str | None] = mapped_column(String(64))
    launched_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    result: Mapped[dict[str, Any] | None]


class SyncEvent(Base):
    """Progress events of pushes, in order; the API streams them (SSE) from here."""

    __tablename__ = "sync_events"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    campaign_set_id: Mapped[int] = mapped_column(
        ForeignKey("campaign_sets.id", ondelete="CASCADE"), index=True
    )
    sync_request_id: Mapped[int | None] = mapped_column(Integer, index=True)
    run_id: Mapped[str | None] = mapped_column(String(64))
    event_type: Mapped[str] = mapped_column(String(32))
    payload: Mapped[dict[str, Any]]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class BreakerState(Base):
    """Circuit breaker per (platform, ad account), shared by every process through the store."""

    __tablename__ = "breaker_states"
    __table_args__ = (UniqueConstraint("platform", "ad_account_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    platform: Mapped[str] = mapped_column(String(32))
    ad_account_id: Mapped[int] = mapped_column(ForeignKey("ad_accounts.id", ondelete="CASCADE"))
    state: Mapped[str] = mapped_column(String(16), default="closed")
    opened_at: Mapped[datetime | None]
    reason: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class Alert(Base):
    __tablename__ = "alerts"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    message: Mapped[str] = mapped_column(Text)
    campaign_set_id: Mapped[int | None] = mapped_column(Integer)
    ad_account_id: Mapped[int | None] = mapped_column(Integer)
    dagster_run_id: Mapped[str | None] = mapped_column(String(64))
    details: Mapped[dict[str, Any] | None]
    # Makes alert raising idempotent (e.g. one "gave up" alert per entity and failure).
    dedupe_key: Mapped[str | None] = mapped_column(String(200), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    delivered_at: Mapped[datetime | None]


class Conflict(Base):
    __tablename__ = "conflicts"

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_set_id: Mapped[int] = mapped_column(
        ForeignKey("campaign_sets.id", ondelete="CASCADE"), index=True
    )
    entity_type: Mapped[str] = mapped_column(String(16))
    entity_id: Mapped[int] = mapped_column(Integer)
    entity_key: Mapped[str] = mapped_column(String(200))
    field: Mapped[str] = mapped_column(String(64))
    base_value: Mapped[dict[str, Any] | None]
    local_value: Mapped[dict[str, Any] | None]
    remote_value: Mapped[dict[str, Any] | None]
    detected_at: Mapped[datetime] = mapped_column(default=utcnow)
    resolved_at: Mapped[datetime | None]
    resolved_by: Mapped[str | None] = mapped_column(String(200))
    resolution: Mapped[str | None] = mapped_column(String(16))


class PlatformSnapshot(Base):
    """The latest state of one platform entity as read by reconciliation."""

    __tablename__ = "platform_snapshots"
    __table_args__ = (UniqueConstraint("ad_account_id", "entity_type", "platform_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    ad_account_id: Mapped[int] = mapped_column(ForeignKey("ad_accounts.id", ondelete="CASCADE"))
    entity_type: Mapped[str] = mapped_column(String(16))
    platform_id: Mapped[str] = mapped_column(String(64))
    fingerprint: Mapped[str] = mapped_column(String(64))
    mapped: Mapped[dict[str, Any]]
    raw: Mapped[dict[str, Any]]
    fetched_at: Mapped[datetime] = mapped_column(default=utcnow)


class ApiKey(Base):
    __tablename__ = "api_keys"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    prefix: Mapped[str] = mapped_column(String(16))
    key_hash: Mapped[str] = mapped_column(String(128), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]

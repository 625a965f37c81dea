"""Initial schema: every table of `store/models.py`.

Pre-release rule: a column added to the models is added here too, in the same commit.

Revision ID: 0001
Revises:
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from adsync_pipeline.store.types import Money, UTCDateTime

revision: str = "0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "ad_accounts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("platform", sa.String(length=32), nullable=False),
        sa.Column("platform_account_id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=500), nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=True),
        sa.Column("funding_instrument_id", sa.String(length=64), nullable=True),
        sa.Column("profile_id", sa.String(length=64), nullable=True),
        sa.Column("pixel_id", sa.String(length=64), nullable=True),
        sa.Column("connected_at", UTCDateTime(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ad_accounts")),
        sa.UniqueConstraint(
            "platform",
            "platform_account_id",
            name=op.f("uq_ad_accounts_platform_platform_account_id"),
        ),
    )
    op.create_table(
        "alerts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("campaign_set_id", sa.Integer(), nullable=True),
        sa.Column("ad_account_id", sa.Integer(), nullable=True),
        sa.Column("dagster_run_id", sa.String(length=64), nullable=True),
        sa.Column("details", sa.JSON(), nullable=True),
        sa.Column("dedupe_key", sa.String(length=200), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("delivered_at", UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alerts")),
        sa.UniqueConstraint("dedupe_key", name=op.f("uq_alerts_dedupe_key")),
    )
    op.create_table(
        "api_keys",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("prefix", sa.String(length=16), nullable=False),
        sa.Column("key_hash", sa.String(length=128), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("last_used_at", UTCDateTime(), nullable=True),
        sa.Column("revoked_at", UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_keys")),
        sa.UniqueConstraint("key_hash", name=op.f("uq_api_keys_key_hash")),
        sa.UniqueConstraint("name", name=op.f("uq_api_keys_name")),
    )
    op.create_table(
        "sync_audit",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("run_id", sa.String(length=64), nullable=True),
        sa.Column("campaign_set_id", sa.Integer(), nullable=True),
        sa.Column("ad_account_id", sa.Integer(), nullable=True),
        sa.Column("platform", sa.String(length=32), nullable=False),
        sa.Column("entity_type", sa.String(length=16), nullable=True),
        sa.Column("entity_key", sa.String(length=200), nullable=True),
        sa.Column("operation", sa.String(length=32), nullable=False),
        sa.Column("method", sa.String(length=8), nullable=False),
        sa.Column("path", sa.String(length=2000), nullable=False),
        sa.Column("http_status", sa.Integer(), nullable=True),
        sa.Column("latency_ms", sa.Integer(), nullable=True),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("request_summary", sa.JSON(), nullable=True),
        sa.Column("response_summary", sa.JSON(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sync_audit")),
    )
    with op.batch_alter_table("sync_audit", schema=None) as batch_op:
        batch_op.create_index(
            "ix_sync_audit_account_time", ["ad_account_id", "created_at"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_sync_audit_campaign_set_id"), ["campaign_set_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_sync_audit_run_id"), ["run_id"], unique=False)

    op.create_table(
        "sync_records",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("entity_type", sa.String(length=16), nullable=False),
        sa.Column("entity_id", sa.Integer(), nullable=False),
        sa.Column("platform", sa.String(length=32), nullable=False),
        sa.Column("platform_id", sa.String(length=64), nullable=True),
        sa.Column("sync_status", sa.String(length=16), nullable=False),
        sa.Column("last_synced_at", UTCDateTime(), nullable=True),
        sa.Column("error_log", sa.JSON(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sync_records")),
        sa.UniqueConstraint(
            "entity_type",
            "entity_id",
            "platform",
            name=op.f("uq_sync_records_entity_type_entity_id_platform"),
        ),
    )
    op.create_table(
        "breaker_states",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("platform", sa.String(length=32), nullable=False),
        sa.Column("ad_account_id", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("opened_at", UTCDateTime(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["ad_account_id"],
            ["ad_accounts.id"],
            name=op.f("fk_breaker_states_ad_account_id_ad_accounts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_breaker_states")),
        sa.UniqueConstraint(
            "platform", "ad_account_id", name=op.f("uq_breaker_states_platform_ad_account_id")
        ),
    )
    op.create_table(
        "campaign_sets",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=500), nullable=False),
        sa.Column("platform", sa.String(length=32), nullable=False),
        sa.Column("ad_account_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("sync_status", sa.String(length=16), nullable=False),
        sa.Column("last_synced_at", UTCDateTime(), nullable=True),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("archived_at", UTCDateTime(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["ad_account_id"],
            ["ad_accounts.id"],
            name=op.f("fk_campaign_sets_ad_account_id_ad_accounts"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_campaign_sets")),
        sa.UniqueConstraint(
            "ad_account_id", "name", name=op.f("uq_campaign_sets_ad_account_id_name")
        ),
    )
    op.create_table(
        "oauth_tokens",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ad_account_id", sa.Integer(), nullable=False),
        sa.Column("access_token_encrypted", sa.LargeBinary(), nullable=True),
        sa.Column("refresh_token_encrypted", sa.LargeBinary(), nullable=False),
        sa.Column("access_token_expires_at", UTCDateTime(), nullable=True),
        sa.Column("scope", sa.String(length=500), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("revoked_at", UTCDateTime(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["ad_account_id"],
            ["ad_accounts.id"],
            name=op.f("fk_oauth_tokens_ad_account_id_ad_accounts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_oauth_tokens")),
        sa.UniqueConstraint("ad_account_id", name=op.f("uq_oauth_tokens_ad_account_id")),
    )
    op.create_table(
        "platform_snapshots",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ad_account_id", sa.Integer(), nullable=False),
        sa.Column("entity_type", sa.String(length=16), nullable=False),
        sa.Column("platform_id", sa.String(length=64), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("mapped", sa.JSON(), nullable=False),
        sa.Column("raw", sa.JSON(), nullable=False),
        sa.Column("fetched_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["ad_account_id"],
            ["ad_accounts.id"],
            name=op.f("fk_platform_snapshots_ad_account_id_ad_accounts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_platform_snapshots")),
        sa.UniqueConstraint(
            "ad_account_id",
            "entity_type",
            "platform_id",
            name=op.f("uq_platform_snapshots_ad_account_id_entity_type_platform_id"),
        ),
    )
    op.create_table(
        "campaigns",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("campaign_set_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=500), nullable=False),
        sa.Column("objective", sa.String(length=32), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("budget_type", sa.String(length=16), nullable=False),
        sa.Column("budget_amount", Money(), nullable=False),
        sa.Column("budget_currency", sa.String(length=3), nullable=False),
        sa.Column("start_time", UTCDateTime(), nullable=True),
        sa.Column("end_time", UTCDateTime(), nullable=True),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("platform_id", sa.String(length=64), nullable=True),
        sa.Column("sync_status", sa.String(length=16), nullable=False),
        sa.Column("last_pushed_fingerprint", sa.String(length=64), nullable=True),
        sa.Column("last_synced_at", UTCDateTime(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", UTCDateTime(), nullable=True),
        sa.Column("removed_at", UTCDateTime(), nullable=True),
        sa.Column("platform_data", sa.JSON(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["campaign_set_id"],
            ["campaign_sets.id"],
            name=op.f("fk_campaigns_campaign_set_id_campaign_sets"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_campaigns")),
        sa.UniqueConstraint(
            "campaign_set_id", "key", name=op.f("uq_campaigns_campaign_set_id_key")
        ),
    )
    with op.batch_alter_table("campaigns", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_campaigns_campaign_set_id"), ["campaign_set_id"], unique=False
        )

    op.create_table(
        "conflicts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("campaign_set_id", sa.Integer(), nullable=False),
        sa.Column("entity_type", sa.String(length=16), nullable=False),
        sa.Column("entity_id", sa.Integer(), nullable=False),
        sa.Column("entity_key", sa.String(length=200), nullable=False),
        sa.Column("field", sa.String(length=64), nullable=False),
        sa.Column("base_value", sa.JSON(), nullable=True),
        sa.Column("local_value", sa.JSON(), nullable=True),
        sa.Column("remote_value", sa.JSON(), nullable=True),
        sa.Column("detected_at", UTCDateTime(), nullable=False),
        sa.Column("resolved_at", UTCDateTime(), nullable=True),
        sa.Column("resolved_by", sa.String(length=200), nullable=True),
        sa.Column("resolution", sa.String(length=16), nullable=True),
        sa.ForeignKeyConstraint(
            ["campaign_set_id"],
            ["campaign_sets.id"],
            name=op.f("fk_conflicts_campaign_set_id_campaign_sets"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_conflicts")),
    )
    with op.batch_alter_table("conflicts", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_conflicts_campaign_set_id"), ["campaign_set_id"], unique=False
        )

    op.create_table(
        "create_intents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("campaign_set_id", sa.Integer(), nullable=False),
        sa.Column("entity_type", sa.String(length=16), nullable=False),
        sa.Column("entity_id", sa.Integer(), nullable=False),
        sa.Column("parent_platform_id", sa.String(length=64), nullable=True),
        sa.Column("name", sa.String(length=500), nullable=False),
        sa.Column("run_id", sa.String(length=64), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("resolved_at", UTCDateTime(), nullable=True),
        sa.Column("outcome", sa.String(length=16), nullable=True),
        sa.Column("platform_id", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(
            ["campaign_set_id"],
            ["campaign_sets.id"],
            name=op.f("fk_create_intents_campaign_set_id_campaign_sets"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_create_intents")),
    )
    with op.batch_alter_table("create_intents", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_create_intents_campaign_set_id"), ["campaign_set_id"], unique=False
        )

    op.create_table(
        "sync_events",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("campaign_set_id", sa.Integer(), nullable=False),
        sa.Column("sync_request_id", sa.Integer(), nullable=True),
        sa.Column("run_id", sa.String(length=64), nullable=True),
        sa.Column("event_type", sa.String(length=32), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["campaign_set_id"],
            ["campaign_sets.id"],
            name=op.f("fk_sync_events_campaign_set_id_campaign_sets"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sync_events")),
    )
    with op.batch_alter_table("sync_events", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_sync_events_campaign_set_id"), ["campaign_set_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_sync_events_sync_request_id"), ["sync_request_id"], unique=False
        )

    op.create_table(
        "sync_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("campaign_set_id", sa.Integer(), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("operation", sa.String(length=16), nullable=False),
        sa.Column("requested_at", UTCDateTime(), nullable=False),
        sa.Column("requested_by", sa.String(length=200), nullable=True),
        sa.Column("trigger", sa.String(length=32), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("dagster_run_id", sa.String(length=64), nullable=True),
        sa.Column("launched_at", UTCDateTime(), nullable=True),
        sa.Column("finished_at", UTCDateTime(), nullable=True),
        sa.Column("result", sa.JSON(), nullable=True),
        sa.ForeignKeyConstraint(
            ["campaign_set_id"],
            ["campaign_sets.id"],
            name=op.f("fk_sync_requests_campaign_set_id_campaign_sets"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sync_requests")),
    )
    with op.batch_alter_table("sync_requests", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_sync_requests_campaign_set_id"), ["campaign_set_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_sync_requests_status"), ["status"], unique=False)

    op.create_table(
        "sync_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.String(length=64), nullable=False),
        sa.Column("campaign_set_id", sa.Integer(), nullable=True),
        sa.Column("ad_account_id", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("trigger", sa.String(length=32), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("started_at", UTCDateTime(), nullable=False),
        sa.Column("finished_at", UTCDateTime(), nullable=True),
        sa.Column("synced", sa.Integer(), nullable=False),
        sa.Column("failed", sa.Integer(), nullable=False),
        sa.Column("skipped", sa.Integer(), nullable=False),
        sa.Column("api_calls", sa.Integer(), nullable=False),
        sa.Column("rate_limited", sa.Integer(), nullable=False),
        sa.Column("retries", sa.Integer(), nullable=False),
        sa.Column("summary", sa.JSON(), nullable=True),
        sa.ForeignKeyConstraint(
            ["ad_account_id"],
            ["ad_accounts.id"],
            name=op.f("fk_sync_runs_ad_account_id_ad_accounts"),
        ),
        sa.ForeignKeyConstraint(
            ["campaign_set_id"],
            ["campaign_sets.id"],
            name=op.f("fk_sync_runs_campaign_set_id_campaign_sets"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sync_runs")),
    )
    with op.batch_alter_table("sync_runs", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_sync_runs_campaign_set_id"), ["campaign_set_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_sync_runs_run_id"), ["run_id"], unique=False)

    op.create_table(
        "ad_groups",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("campaign_set_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=500), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("bid_strategy", sa.String(length=16), nullable=False),
        sa.Column("bid_amount", Money(), nullable=True),
        sa.Column("targeting", sa.JSON(), nullable=False),
        sa.Column("optimization_goal", sa.String(length=64), nullable=True),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("platform_id", sa.String(length=64), nullable=True),
        sa.Column("sync_status", sa.String(length=16), nullable=False),
        sa.Column("last_pushed_fingerprint", sa.String(length=64), nullable=True),
        sa.Column("last_synced_at", UTCDateTime(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", UTCDateTime(), nullable=True),
        sa.Column("removed_at", UTCDateTime(), nullable=True),
        sa.Column("platform_data", sa.JSON(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["campaigns.id"],
            name=op.f("fk_ad_groups_campaign_id_campaigns"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["campaign_set_id"],
            ["campaign_sets.id"],
            name=op.f("fk_ad_groups_campaign_set_id_campaign_sets"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ad_groups")),
        sa.UniqueConstraint("campaign_id", "key", name=op.f("uq_ad_groups_campaign_id_key")),
    )
    with op.batch_alter_table("ad_groups", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_ad_groups_campaign_set_id"), ["campaign_set_id"], unique=False
        )

    op.create_table(
        "ads",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ad_group_id", sa.Integer(), nullable=False),
        sa.Column("campaign_set_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=500), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("headline", sa.String(length=500), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("final_url", sa.String(length=5000), nullable=False),
        sa.Column("display_url", sa.String(length=5000), nullable=True),
        sa.Column("call_to_action", sa.String(length=32), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("platform_id", sa.String(length=64), nullable=True),
        sa.Column("sync_status", sa.String(length=16), nullable=False),
        sa.Column("last_pushed_fingerprint", sa.String(length=64), nullable=True),
        sa.Column("last_synced_at", UTCDateTime(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", UTCDateTime(), nullable=True),
        sa.Column("removed_at", UTCDateTime(), nullable=True),
        sa.Column("platform_data", sa.JSON(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["ad_group_id"],
            ["ad_groups.id"],
            name=op.f("fk_ads_ad_group_id_ad_groups"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["campaign_set_id"],
            ["campaign_sets.id"],
            name=op.f("fk_ads_campaign_set_id_campaign_sets"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ads")),
        sa.UniqueConstraint("ad_group_id", "key", name=op.f("uq_ads_ad_group_id_key")),
    )
    with op.batch_alter_table("ads", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_ads_campaign_set_id"), ["campaign_set_id"], unique=False
        )

    op.create_table(
        "keywords",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ad_group_id", sa.Integer(), nullable=False),
        sa.Column("campaign_set_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("text", sa.String(length=500), nullable=False),
        sa.Column("match_type", sa.String(length=16), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("platform_id", sa.String(length=64), nullable=True),
        sa.Column("sync_status", sa.String(length=16), nullable=False),
        sa.Column("last_pushed_fingerprint", sa.String(length=64), nullable=True),
        sa.Column("last_synced_at", UTCDateTime(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", UTCDateTime(), nullable=True),
        sa.Column("removed_at", UTCDateTime(), nullable=True),
        sa.Column("platform_data", sa.JSON(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["ad_group_id"],
            ["ad_groups.id"],
            name=op.f("fk_keywords_ad_group_id_ad_groups"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["campaign_set_id"],
            ["campaign_sets.id"],
            name=op.f("fk_keywords_campaign_set_id_campaign_sets"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_keywords")),
        sa.UniqueConstraint("ad_group_id", "key", name=op.f("uq_keywords_ad_group_id_key")),
    )
    with op.batch_alter_table("keywords", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_keywords_campaign_set_id"), ["campaign_set_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("keywords", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_keywords_campaign_set_id"))

    op.drop_table("keywords")
    with op.batch_alter_table("ads", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_ads_campaign_set_id"))

    op.drop_table("ads")
    with op.batch_alter_table("ad_groups", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_ad_groups_campaign_set_id"))

    op.drop_table("ad_groups")
    with op.batch_alter_table("sync_runs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sync_runs_run_id"))
        batch_op.drop_index(batch_op.f("ix_sync_runs_campaign_set_id"))

    op.drop_table("sync_runs")
    with op.batch_alter_table("sync_requests", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sync_requests_status"))
        batch_op.drop_index(batch_op.f("ix_sync_requests_campaign_set_id"))

    op.drop_table("sync_requests")
    with op.batch_alter_table("sync_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sync_events_sync_request_id"))
        batch_op.drop_index(batch_op.f("ix_sync_events_campaign_set_id"))

    op.drop_table("sync_events")
    with op.batch_alter_table("create_intents", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_create_intents_campaign_set_id"))

    op.drop_table("create_intents")
    with op.batch_alter_table("conflicts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_conflicts_campaign_set_id"))

    op.drop_table("conflicts")
    with op.batch_alter_table("campaigns", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_campaigns_campaign_set_id"))

    op.drop_table("campaigns")
    op.drop_table("platform_snapshots")
    op.drop_table("oauth_tokens")
    op.drop_table("campaign_sets")
    op.drop_table("breaker_states")
    op.drop_table("sync_records")
    with op.batch_alter_table("sync_audit", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sync_audit_run_id"))
        batch_op.drop_index(batch_op.f("ix_sync_audit_campaign_set_id"))
        batch_op.drop_index("ix_sync_audit_account_time")

    op.drop_table("sync_audit")
    op.drop_table("api_keys")
    op.drop_table("alerts")
    op.drop_table("ad_accounts")

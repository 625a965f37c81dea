"""A migrated SQLite store and helpers that put a set (and its entities) in it directly."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from decimal import Decimal
from pathlib import Path

import pytest

from adsync_pipeline.store.db import Database
from adsync_pipeline.store.migrate import upgrade_database
from adsync_pipeline.store.models import AdAccount, CampaignRow, CampaignSetRow


@pytest.fixture
def store_url(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'adsync.db'}"
    upgrade_database(url)
    return url


@pytest.fixture
def store(store_url: str) -> Iterator[Database]:
    db = Database.from_url(store_url)
    yield db
    db.dispose()


def add_set(db: Database, name: str = "Summer", account: str = "t2_sandbox01") -> tuple[int, int]:
    """A campaign set row under a (new or existing) Reddit account: (set id, account id)."""
    with db.transaction() as session:
        account_row = (
            session.query(AdAccount)
            .filter_by(platform="reddit", platform_account_id=account)
            .first()
        )
        if account_row is None:
            account_row = AdAccount(platform="reddit", platform_account_id=account)
            session.add(account_row)
            session.flush()
        set_row = CampaignSetRow(name=name, platform="reddit", ad_account_id=account_row.id)
        session.add(set_row)
        session.flush()
        return set_row.id, account_row.id


def add_campaign(
    db: Database,
    set_id: int,
    key: str,
    *,
    sync_status: str = "pending",
    attempts: int = 0,
    next_attempt_at: datetime | None = None,
    last_error: str | None = None,
) -> int:
    with db.transaction() as session:
        row = CampaignRow(
            campaign_set_id=set_id,
            key=key,
            name=key,
            objective="awareness",
            status="active",
            budget_type="daily",
            budget_amount=Decimal(50),
            budget_currency="USD",
            sync_status=sync_status,
            attempts=attempts,
            next_attempt_at=next_attempt_at,
            last_error=last_error,
        )
        session.add(row)
        session.flush()
        return row.id


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "e2e: starts real processes (dagster-daemon, PostgreSQL); select with -m e2e"
    )

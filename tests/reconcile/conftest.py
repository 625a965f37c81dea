"""A pushed campaign set on the Reddit sandbox, ready to be edited "in Ads Manager"."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from click.testing import CliRunner

from adsync_pipeline.cli import _register
from adsync_pipeline.cli.base import cli
from adsync_pipeline.domain.model import CampaignSet, SyncStatus
from adsync_pipeline.examples.generator import generate_campaign_set
from adsync_pipeline.sandbox.reddit import RunningSandbox
from adsync_pipeline.sandbox.reddit_state import AD_ACCOUNT_ID, CLIENT_ID, CLIENT_SECRET
from adsync_pipeline.security.vault import generate_key
from adsync_pipeline.store.campaign_sets import CampaignSetRepository
from adsync_pipeline.store.db import Database
from adsync_pipeline.sync.runner import run_push


@dataclass
class Pushed:
    db: Database
    sandbox: RunningSandbox
    set_id: int

    def load(self) -> CampaignSet:
        return CampaignSetRepository(self.db).load(self.set_id)

    def edit(self, kind: str, platform_id: str, **fields: Any) -> dict[str, Any]:
        """Change an entity the way a person in Reddit Ads Manager would."""
        response = httpx.patch(f"{self.sandbox.admin_url}/{kind}/{platform_id}", json=fields)
        response.raise_for_status()
        return response.json()["data"]

    def delete(self, kind: str, platform_id: str) -> None:
        httpx.post(f"{self.sandbox.admin_url}/{kind}/{platform_id}/delete").raise_for_status()

    def platform(self, kind: str, platform_id: str) -> dict[str, Any]:
        return self.sandbox.state.snapshot()[kind][platform_id]

    def push(self) -> None:
        result = run_push(self.db, self.set_id)
        assert not result.failed, result.errors


def run_cli(*args: str) -> Any:
    _register()
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result


@pytest.fixture
def connected(
    database: Database,
    db_url: str,
    reddit_sandbox: RunningSandbox,
    monkeypatch: pytest.MonkeyPatch,
) -> Database:
    for name, value in {
        "ADSYNC_DATABASE_URL": db_url,
        "ADSYNC_REDDIT_API_URL": reddit_sandbox.api_url,
        "ADSYNC_REDDIT_AUTH_URL": reddit_sandbox.auth_url,
        "ADSYNC_REDDIT_CLIENT_ID": CLIENT_ID,
        "ADSYNC_REDDIT_CLIENT_SECRET": CLIENT_SECRET,
        "ADSYNC_ENCRYPTION_KEY": generate_key(),
    }.items():
        monkeypatch.setenv(name, value)
    run_cli(
        "accounts", "add", "reddit",
        "--account-id", AD_ACCOUNT_ID,
        "--refresh-token", "sandbox-refresh-token",
    )  # fmt: skip
    return database


@pytest.fixture
def pushed(connected: Database, reddit_sandbox: RunningSandbox) -> Callable[..., Pushed]:
    def make(campaigns: int = 1, ad_groups: int = 1, ads: int = 1, keywords: int = 0) -> Pushed:
        doc = generate_campaign_set(
            campaigns, ad_groups, ads, keywords=keywords, name="Reconciled set"
        )
        set_id = CampaignSetRepository(connected).import_set(doc).campaign_set_id
        result = Pushed(connected, reddit_sandbox, set_id)
        result.push()
        loaded = result.load()
        assert all(c.sync.sync_status is SyncStatus.SYNCED for c in loaded.campaigns)
        return result

    return make

"""A push paced by the policies its routes share, over real HTTP against the sandbox."""

from __future__ import annotations

import pytest

from adsync_pipeline.examples.generator import generate_campaign_set
from adsync_pipeline.sandbox.reddit import RunningSandbox
from adsync_pipeline.store.campaign_sets import CampaignSetRepository
from adsync_pipeline.store.db import Database
from adsync_pipeline.store.migrate import upgrade_database
from adsync_pipeline.sync.runner import push_async
from tests.sync.conftest import connect_sandbox_account, reddit_env  # noqa: F401 (a fixture)

WRITE, CREATIVE = "ads-campaign-management-write", "ads-creative-management"


@pytest.fixture
def database(sqlite_url: str) -> Database:
    """SQLite only: the store plays no part in pacing, and the test takes seconds."""
    upgrade_database(sqlite_url)
    return Database.from_url(sqlite_url)


@pytest.mark.usefixtures("reddit_env")
async def test_a_rate_bound_push_meets_no_429_on_any_routes_first_call(
    database: Database, reddit_sandbox: RunningSandbox
) -> None:
    # Reddit's 200 writes per 60 s scaled down to 10 per 1.5 s (a rate this busy machine
    # keeps up with): the 80 writes of a 20 x 1 x 2 set need eight windows, so the ad
    # groups' and the ads' first creates come when the campaigns have spent the policy.
    reddit_sandbox.configure(time_scale=0.025, rate_limits={WRITE: 10, CREATIVE: 10})
    connect_sandbox_account(database)
    doc = generate_campaign_set(20, ad_groups=1, ads=2, name="Rate bound")
    set_id = CampaignSetRepository(database).import_set(doc).campaign_set_id

    result = await push_async(database, set_id)

    assert (result.synced, result.failed) == (80, 0), result.errors
    api = [r for r in reddit_sandbox.requests() if r["path"].startswith("/api/v3/")]
    assert [r["status"] for r in api].count(429) == 0
    assert result.rate_limited == 0

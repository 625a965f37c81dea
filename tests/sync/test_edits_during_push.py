"""An import that edits entities while a push is sending them: the push records what it
sent, and an entity whose stored content differs by then stays pending, so its status
never claims the platform has an edit it was never sent."""

from __future__ import annotations

import asyncio

from adsync_pipeline.domain.model import SyncStatus
from adsync_pipeline.domain.plan import OpKind, make_plan
from adsync_pipeline.examples.generator import generate_campaign_set
from adsync_pipeline.sandbox.reddit import RunningSandbox
from adsync_pipeline.store.campaign_sets import CampaignSetRepository
from adsync_pipeline.store.db import Database
from adsync_pipeline.store.models import utcnow
from adsync_pipeline.sync.runner import push_async
from tests.sync.conftest import connect_sandbox_account

CAMPAIGNS = 12
NAME = "Edited mid-push"


def edited_copy(headline: str) -> str:
    return f"{headline} - now 30% off"


async def test_an_import_during_a_push_leaves_the_edited_entities_pending(
    database: Database, reddit_env: None, reddit_sandbox: RunningSandbox
) -> None:
    sets = CampaignSetRepository(database)
    doc = generate_campaign_set(CAMPAIGNS, ad_groups=1, ads=2, name=NAME)
    set_id = sets.import_set(doc).campaign_set_id
    connect_sandbox_account(database)
    reddit_sandbox.set_faults(latency=0.05)

    push = asyncio.create_task(push_async(database, set_id, run_id="edited-mid-push"))
    # Edit every headline once the first ads are on their way: some outcomes are already
    # committed, the others are in flight or not sent yet.
    while not any(r["path"].endswith("/ads") for r in reddit_sandbox.requests()):
        assert not push.done(), push.result()
        await asyncio.sleep(0.01)
    for campaign in doc.campaigns:
        for group in campaign.ad_groups:
            for ad in group.ads:
                ad.headline = edited_copy(ad.headline)
    await asyncio.to_thread(sets.import_set, doc)
    result = await push

    assert (result.failed, result.skipped) == (0, 0), result.errors
    platform = reddit_sandbox.state.snapshot()
    loaded = sets.load(set_id)
    ads = [ad for c in loaded.campaigns for g in c.ad_groups for ad in g.ads]
    for ad in ads:
        # The push sent the copy it loaded; the edit came after.
        post = platform["posts"][platform["ads"][ad.sync.platform_id]["post_id"]]
        assert not post["headline"].endswith("30% off")
        assert ad.sync.sync_status is SyncStatus.PENDING, ad.key
    for campaign in loaded.campaigns:
        assert campaign.sync.sync_status is SyncStatus.SYNCED
        assert all(g.sync.sync_status is SyncStatus.SYNCED for g in campaign.ad_groups)

    plan = make_plan(loaded, utcnow())
    writes = {(op.entity_type.value, op.key_path, op.op) for op in plan.writes}
    assert writes == {
        ("ad", (c.key, g.key, ad.key), OpKind.UPDATE)
        for c in loaded.campaigns
        for g in c.ad_groups
        for ad in g.ads
    }

    reddit_sandbox.set_faults(latency=0.0)
    again = await push_async(database, set_id, run_id="after-the-edit")
    assert (again.synced, again.failed) == (len(ads), 0), again.errors
    platform = reddit_sandbox.state.snapshot()
    for ad in (a for c in sets.load(set_id).campaigns for g in c.ad_groups for a in g.ads):
        assert ad.sync.sync_status is SyncStatus.SYNCED
        post = platform["posts"][platform["ads"][ad.sync.platform_id]["post_id"]]
        assert post["headline"].endswith("30% off")

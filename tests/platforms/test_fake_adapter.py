from __future__ import annotations

import asyncio
import inspect
import time

import pytest

from adsync_pipeline.domain.model import EntityStatus, EntityType
from adsync_pipeline.platforms.adapter import CampaignSetPlatformAdapter, PushContext
from adsync_pipeline.platforms.errors import CreateOutcomeUnknown, ErrorClass, PlatformError
from adsync_pipeline.platforms.fake import FakeAdapter
from tests.builders import summer_sale

ACCOUNT = "t2_sandbox01"


async def push_shoes(adapter: CampaignSetPlatformAdapter) -> PushContext:
    """Create the shoes campaign, its ad group, ad and keywords; returns the ad's context."""
    campaign = summer_sale().campaigns[0]
    group = campaign.ad_groups[0]
    ctx = PushContext(ad_account_id=ACCOUNT)
    campaign.sync.platform_id = (await adapter.create_campaign(campaign, ctx)).platform_id
    ctx = PushContext(ad_account_id=ACCOUNT, campaign=campaign)
    group.sync.platform_id = (await adapter.create_ad_group(group, ctx)).platform_id
    ctx = PushContext(ad_account_id=ACCOUNT, campaign=campaign, ad_group=group)
    ad = group.ads[0]
    ad.sync.platform_id = (await adapter.create_ad(ad, ctx)).platform_id
    await adapter.sync_keywords(group, group.keywords, ctx)
    return ctx


async def test_creates_store_entities_with_reddit_like_ids() -> None:
    adapter = FakeAdapter(seed=1)

    ctx = await push_shoes(adapter)

    assert ctx.campaign and ctx.ad_group
    campaign_id, group_id = ctx.campaign.sync.platform_id, ctx.ad_group.sync.platform_id
    assert campaign_id and campaign_id.isdigit() and len(campaign_id) == 18
    (group,) = adapter.live(EntityType.AD_GROUP)
    assert group["id"] == group_id and group["parent_id"] == campaign_id
    assert adapter.keywords[group_id] == ["running shoes", "marathon training"]
    assert adapter.calls["create_campaign"] == adapter.calls["create_ad"] == 1
    assert adapter.stats().api_calls == 4


async def test_same_seed_same_ids() -> None:
    first, second = FakeAdapter(seed=7), FakeAdapter(seed=7)
    a, b = await push_shoes(first), await push_shoes(second)

    assert a.ad_group and b.ad_group
    assert a.ad_group.sync.platform_id == b.ad_group.sync.platform_id


async def test_update_pause_resume_delete() -> None:
    adapter = FakeAdapter(seed=2)
    ctx = await push_shoes(adapter)
    campaign = ctx.campaign
    assert campaign is not None

    campaign.name = "Renamed"
    updated = await adapter.update_campaign(campaign, ctx)
    assert updated.platform_data and updated.platform_data["name"] == "Renamed"

    await adapter.pause_campaign(campaign, ctx)
    assert adapter.live(EntityType.CAMPAIGN)[0]["configured_status"] == "PAUSED"
    await adapter.resume_campaign(campaign, ctx)
    assert adapter.live(EntityType.CAMPAIGN)[0]["configured_status"] == "ACTIVE"

    await adapter.delete_campaign(campaign, ctx)
    assert adapter.live(EntityType.CAMPAIGN) == []
    with pytest.raises(PlatformError, match="404"):
        await adapter.update_campaign(campaign, ctx)


async def test_paused_entity_is_created_paused() -> None:
    adapter = FakeAdapter()
    bags = summer_sale().campaigns[1]
    assert bags.status is EntityStatus.PAUSED

    result = await adapter.create_campaign(bags, PushContext(ad_account_id=ACCOUNT))

    assert result.platform_data and result.platform_data["configured_status"] == "PAUSED"


async def test_find_child_by_name_finds_live_children_only() -> None:
    adapter = FakeAdapter(seed=3)
    ctx = await push_shoes(adapter)
    assert ctx.campaign and ctx.ad_group
    campaign_id = ctx.campaign.sync.platform_id
    assert campaign_id is not None

    found = await adapter.find_child_by_name(EntityType.AD_GROUP, campaign_id, "Runners - US")
    assert found and found.platform_id == ctx.ad_group.sync.platform_id
    assert await adapter.find_child_by_name(EntityType.AD_GROUP, campaign_id, "Other") is None

    await adapter.delete_ad_group(ctx.ad_group, ctx)
    assert (
        await adapter.find_child_by_name(EntityType.AD_GROUP, campaign_id, "Runners - US") is None
    )


async def test_child_needs_its_parent_on_the_platform() -> None:
    adapter = FakeAdapter()
    campaign = summer_sale().campaigns[0]

    with pytest.raises(PlatformError) as caught:
        await adapter.create_ad_group(
            campaign.ad_groups[0], PushContext(ad_account_id=ACCOUNT, campaign=campaign)
        )

    assert caught.value.classification is ErrorClass.PERMANENT
    assert adapter.live(EntityType.AD_GROUP) == []


async def test_rejected_name_is_a_permanent_error_with_field_detail() -> None:
    adapter = FakeAdapter(reject_names={"Summer Sale - Shoes"})
    campaign = summer_sale().campaigns[0]

    with pytest.raises(PlatformError) as caught:
        await adapter.create_campaign(campaign, PushContext(ad_account_id=ACCOUNT))

    assert not caught.value.retryable
    assert caught.value.field_errors == [("name", "'Summer Sale - Shoes' is not allowed")]
    assert adapter.live(EntityType.CAMPAIGN) == []


async def test_failure_rate_gives_retryable_errors_and_creates_nothing() -> None:
    adapter = FakeAdapter(failure_rate=1.0, seed=4)

    with pytest.raises(PlatformError) as caught:
        await adapter.create_campaign(summer_sale().campaigns[0], PushContext(ACCOUNT))

    assert caught.value.retryable and "503" in caught.value.message
    assert adapter.live(EntityType.CAMPAIGN) == []
    assert adapter.calls["create_campaign"] == 1


async def test_failure_rate_is_roughly_honoured() -> None:
    adapter = FakeAdapter(failure_rate=0.3, seed=5)
    campaign = summer_sale().campaigns[0]
    failures = 0
    for _ in range(200):
        try:
            await adapter.create_campaign(campaign, PushContext(ACCOUNT))
        except PlatformError:
            failures += 1

    assert 40 <= failures <= 80


async def test_lost_create_exists_and_can_be_adopted() -> None:
    adapter = FakeAdapter(lost_create_rate=1.0, seed=6)
    campaign = summer_sale().campaigns[0]

    with pytest.raises(CreateOutcomeUnknown) as caught:
        await adapter.create_campaign(campaign, PushContext(ACCOUNT))

    assert caught.value.retryable
    found = await adapter.find_child_by_name(EntityType.CAMPAIGN, ACCOUNT, campaign.name)
    assert found is not None and len(adapter.live(EntityType.CAMPAIGN)) == 1


async def test_latency_applies_per_call_and_calls_overlap() -> None:
    adapter = FakeAdapter(latency=0.05)
    campaigns = summer_sale().campaigns

    started = time.monotonic()
    await asyncio.gather(*(adapter.create_campaign(c, PushContext(ACCOUNT)) for c in campaigns))
    elapsed = time.monotonic() - started

    assert 0.05 <= elapsed < 0.09


def test_fake_implements_the_whole_protocol() -> None:
    members = {
        name: member
        for name, member in vars(CampaignSetPlatformAdapter).items()
        if callable(member) and not name.startswith("_")
    }

    assert len(members) == 20
    for name, member in members.items():
        implementation = getattr(FakeAdapter, name)
        assert inspect.iscoroutinefunction(implementation) == inspect.iscoroutinefunction(member), (
            name
        )
        assert list(inspect.signature(implementation).parameters) == list(
            inspect.signature(member).parameters
        ), name

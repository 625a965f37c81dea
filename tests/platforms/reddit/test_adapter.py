"""The Reddit adapter over real HTTP against the sandbox, driven the way the push engine
drives it: each result's id and platform_data are written back into the entity's ledger."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest

from adsync_pipeline.domain.model import (
    AdGroup,
    Bidding,
    BidStrategy,
    Budget,
    CampaignSet,
    EntityType,
    Keyword,
)
from adsync_pipeline.imports import read_campaign_set
from adsync_pipeline.platforms.adapter import PlatformResult, PushContext
from adsync_pipeline.platforms.errors import CreateOutcomeUnknown, ErrorClass, PlatformError
from adsync_pipeline.platforms.reddit.adapter import RedditAdapter
from adsync_pipeline.platforms.reddit.client import RedditClient
from adsync_pipeline.platforms.reddit.mapping import MappingError
from adsync_pipeline.sandbox.reddit import RunningSandbox
from adsync_pipeline.sandbox.reddit_state import (
    FUNDING_INSTRUMENT_ID,
    PIXEL_ID,
    PROFILE_ID,
)

from .conftest import ACCOUNT

EXAMPLE = Path(__file__).parents[3] / "adsync_pipeline" / "examples" / "summer-sale.json"
BASE = PushContext(ACCOUNT, FUNDING_INSTRUMENT_ID, PROFILE_ID, PIXEL_ID)


@pytest.fixture
def adapter(make_client: Callable[..., RedditClient]) -> RedditAdapter:
    return RedditAdapter(make_client(), ad_account_id=ACCOUNT)


@pytest.fixture
def summer_sale() -> CampaignSet:
    return read_campaign_set(EXAMPLE)


def state(sandbox: RunningSandbox) -> dict[str, Any]:
    return httpx.get(f"{sandbox.admin_url}/state").json()


def live(sandbox: RunningSandbox, kind: str) -> dict[str, dict[str, Any]]:
    return {
        k: v for k, v in state(sandbox)[kind].items() if v.get("configured_status") != "DELETED"
    }


def writes(sandbox: RunningSandbox) -> list[tuple[str, str]]:
    return [
        (r["method"], r["path"]) for r in sandbox.requests() if r["method"] in {"POST", "PATCH"}
    ]


def record(entity: Any, result: PlatformResult) -> None:
    """What the engine's _store_success does with a result."""
    entity.sync.platform_id = result.platform_id
    if result.platform_data is not None:
        entity.sync.platform_data = result.platform_data


async def push_all(adapter: RedditAdapter, campaign_set: CampaignSet) -> None:
    for campaign in campaign_set.campaigns:
        record(campaign, await adapter.create_campaign(campaign, BASE))
        for group in campaign.ad_groups:
            group_ctx = replace(BASE, campaign=campaign)
            record(group, await adapter.create_ad_group(group, group_ctx))
            for ad in group.ads:
                record(ad, await adapter.create_ad(ad, replace(group_ctx, ad_group=group)))


async def test_creates_the_summer_sale(
    adapter: RedditAdapter, summer_sale: CampaignSet, reddit_sandbox: RunningSandbox
) -> None:
    await push_all(adapter, summer_sale)

    data = state(reddit_sandbox)
    shoes, bags = summer_sale.campaigns
    assert {c["name"] for c in data["campaigns"].values()} == {shoes.name, bags.name}
    assert len(data["ad_groups"]) == len(data["ads"]) == len(data["posts"]) == 2
    shoes_campaign = data["campaigns"][shoes.sync.platform_id]
    assert shoes_campaign["objective"] == "CLICKS"
    assert shoes_campaign["funding_instrument_id"] == FUNDING_INSTRUMENT_ID
    assert data["campaigns"][bags.sync.platform_id]["spend_cap"] == 1_200_000_000

    runners = data["ad_groups"][shoes.ad_groups[0].sync.platform_id]
    assert runners["campaign_id"] == shoes.sync.platform_id
    assert runners["goal_type"] == "DAILY_SPEND" and runners["goal_value"] == 50_000_000
    assert runners["bid_type"] == "CPC" and runners["bid_value"] == 1_250_000
    assert runners["conversion_pixel_id"] == PIXEL_ID
    assert runners["targeting"]["keywords"] == ["running shoes", "marathon training"]
    assert runners["targeting"]["communities"] == ["running", "marathon"]
    travel = data["ad_groups"][bags.ad_groups[0].sync.platform_id]
    assert (travel["goal_type"], travel["end_time"]) == ("LIFETIME_SPEND", "2026-12-31T23:00:00Z")

    ad = shoes.ad_groups[0].ads[0]
    platform_ad = data["ads"][ad.sync.platform_id]
    post = data["posts"][platform_ad["post_id"]]
    assert ad.sync.platform_data["post_id"] == post["id"]
    assert post["profile_id"] == PROFILE_ID and post["headline"] == ad.headline
    assert post["content"][0]["call_to_action"] == "Shop Now"
    assert platform_ad["click_url"] == ad.final_url


async def test_adding_a_group_and_a_budget_edit_patch_every_share(
    adapter: RedditAdapter,
    make_client: Callable[..., RedditClient],
    summer_sale: CampaignSet,
    reddit_sandbox: RunningSandbox,
) -> None:
    await push_all(adapter, summer_sale)
    shoes = summer_sale.campaigns[0]
    runners = shoes.ad_groups[0]
    trail = AdGroup("trail", "Trail runners", Bidding(BidStrategy.MANUAL_CPC, Decimal("0.9")))
    shoes.ad_groups.append(trail)
    reddit_sandbox.sandbox.clear_requests()

    record(trail, await adapter.create_ad_group(trail, replace(BASE, campaign=shoes)))

    runners_path = f"/api/v3/ad_groups/{runners.sync.platform_id}"
    # The sibling shrinks first, then the new group is created: never over budget.
    assert writes(reddit_sandbox) == [
        ("PATCH", runners_path),
        ("POST", f"/api/v3/ad_accounts/{ACCOUNT}/ad_groups"),
    ]
    groups = state(reddit_sandbox)["ad_groups"]
    assert groups[runners.sync.platform_id]["goal_value"] == 25_000_000
    assert groups[trail.sync.platform_id]["goal_value"] == 25_000_000

    # A later push (a new adapter): the budget edit re-shares, a rename alone does not.
    later = RedditAdapter(make_client(), ad_account_id=ACCOUNT)
    shoes.budget = Budget(shoes.budget.type, Decimal("80.01"))
    reddit_sandbox.sandbox.clear_requests()
    record(shoes, await later.update_campaign(shoes, BASE))
    trail_path = f"/api/v3/ad_groups/{trail.sync.platform_id}"
    campaign_path = f"/api/v3/campaigns/{shoes.sync.platform_id}"
    assert writes(reddit_sandbox) == [
        ("PATCH", campaign_path),
        ("PATCH", runners_path),
        ("PATCH", trail_path),
    ]
    groups = state(reddit_sandbox)["ad_groups"]
    assert groups[runners.sync.platform_id]["goal_value"] == 40_005_000
    assert groups[trail.sync.platform_id]["goal_value"] == 40_005_000

    shoes.name = "Summer Sale - All Shoes"
    reddit_sandbox.sandbox.clear_requests()
    record(
        shoes,
        await RedditAdapter(make_client(), ad_account_id=ACCOUNT).update_campaign(shoes, BASE),
    )
    assert writes(reddit_sandbox) == [("PATCH", campaign_path)]


async def test_deleting_a_group_gives_its_share_back(
    adapter: RedditAdapter, summer_sale: CampaignSet, reddit_sandbox: RunningSandbox
) -> None:
    shoes = summer_sale.campaigns[0]
    shoes.ad_groups.append(
        AdGroup("trail", "Trail runners", Bidding(BidStrategy.MANUAL_CPC, Decimal("0.9")))
    )
    await push_all(adapter, summer_sale)
    runners, trail = shoes.ad_groups
    trail.sync.removed = True
    reddit_sandbox.sandbox.clear_requests()

    await adapter.delete_ad_group(trail, replace(BASE, campaign=shoes))

    groups = state(reddit_sandbox)["ad_groups"]
    assert groups[trail.sync.platform_id]["configured_status"] == "DELETED"
    assert groups[runners.sync.platform_id]["goal_value"] == 50_000_000
    assert [method for method, _ in writes(reddit_sandbox)] == ["PATCH", "PATCH"]


async def test_changed_copy_makes_a_new_post_and_repoints_the_ad(
    adapter: RedditAdapter, summer_sale: CampaignSet, reddit_sandbox: RunningSandbox
) -> None:
    await push_all(adapter, summer_sale)
    shoes = summer_sale.campaigns[0]
    group = shoes.ad_groups[0]
    ad = group.ads[0]
    ctx = replace(BASE, campaign=shoes, ad_group=group)
    first_post = ad.sync.platform_data["post_id"]

    ad.name = "Half off running shoes (v2)"
    reddit_sandbox.sandbox.clear_requests()
    record(ad, await adapter.update_ad(ad, ctx))
    assert writes(reddit_sandbox) == [("PATCH", f"/api/v3/ads/{ad.sync.platform_id}")]
    assert ad.sync.platform_data["post_id"] == first_post

    ad.headline = "60% off running shoes this summer"
    reddit_sandbox.sandbox.clear_requests()
    record(ad, await adapter.update_ad(ad, ctx))
    assert writes(reddit_sandbox) == [
        ("POST", f"/api/v3/profiles/{PROFILE_ID}/posts"),
        ("PATCH", f"/api/v3/ads/{ad.sync.platform_id}"),
    ]
    data = state(reddit_sandbox)
    new_post = data["ads"][ad.sync.platform_id]["post_id"]
    assert new_post != first_post and ad.sync.platform_data["post_id"] == new_post
    assert data["posts"][new_post]["headline"] == ad.headline
    assert data["ads"][ad.sync.platform_id]["name"] == "Half off running shoes (v2)"


async def test_pause_resume_and_delete_patch_only_the_status(
    adapter: RedditAdapter, summer_sale: CampaignSet, reddit_sandbox: RunningSandbox
) -> None:
    await push_all(adapter, summer_sale)
    shoes = summer_sale.campaigns[0]
    ad = shoes.ad_groups[0].ads[0]
    reddit_sandbox.sandbox.clear_requests()

    paused = await adapter.pause_ad(ad, BASE)
    assert paused.platform_data is None  # the ledger keeps the post id
    await adapter.pause_campaign(shoes, BASE)
    await adapter.resume_campaign(shoes, BASE)
    await adapter.delete_ad(ad, BASE)

    data = state(reddit_sandbox)
    assert data["ads"][ad.sync.platform_id]["configured_status"] == "DELETED"
    assert data["campaigns"][shoes.sync.platform_id]["configured_status"] == "ACTIVE"
    assert len(writes(reddit_sandbox)) == 4


async def test_keywords_are_one_patch_of_the_whole_targeting(
    adapter: RedditAdapter, summer_sale: CampaignSet, reddit_sandbox: RunningSandbox
) -> None:
    await push_all(adapter, summer_sale)
    shoes = summer_sale.campaigns[0]
    group = shoes.ad_groups[0]
    group.keywords[0].sync.removed = True
    group.keywords.append(Keyword("trail", "trail running"))
    live_keywords = [k for k in group.keywords if not k.sync.removed]
    reddit_sandbox.sandbox.clear_requests()

    result = await adapter.sync_keywords(group, live_keywords, replace(BASE, campaign=shoes))

    assert result.platform_id == group.sync.platform_id
    assert writes(reddit_sandbox) == [("PATCH", f"/api/v3/ad_groups/{group.sync.platform_id}")]
    targeting = state(reddit_sandbox)["ad_groups"][group.sync.platform_id]["targeting"]
    assert targeting["keywords"] == ["marathon training", "trail running"]
    assert targeting["communities"] == ["running", "marathon"]


async def test_find_child_by_name_adopts_a_create_committed_then_502(
    adapter: RedditAdapter, summer_sale: CampaignSet, reddit_sandbox: RunningSandbox
) -> None:
    await push_all(adapter, summer_sale)
    shoes = summer_sale.campaigns[0]
    group = shoes.ad_groups[0]
    ad = group.ads[0]
    group_id = group.sync.platform_id
    lost = replace(ad, key="lost", name="Lost in transit", headline="Lost", sync=type(ad.sync)())
    ctx = replace(BASE, campaign=shoes, ad_group=group)
    await adapter.delete_ad(ad, ctx)
    # Both the post and the ad are committed, then answered 502.
    reddit_sandbox.set_faults(create_commit_then_502_count=2)
    with pytest.raises(CreateOutcomeUnknown):
        await adapter.create_ad(lost, ctx)

    found = await adapter.find_child_by_name(EntityType.AD, group.sync.platform_id, lost.name)
    assert found is not None
    ads = {k: v for k, v in live(reddit_sandbox, "ads").items() if v["ad_group_id"] == group_id}
    assert list(ads) == [found.platform_id]
    posts = state(reddit_sandbox)["posts"]
    # The post's lost answer was recovered by its copy: one new post, and the ad uses it.
    assert len(posts) == 3
    assert posts[found.platform_data["post_id"]]["headline"] == "Lost"
    assert found.platform_data["post_id"] == ads[found.platform_id]["post_id"]

    campaign = await adapter.find_child_by_name(EntityType.CAMPAIGN, ACCOUNT, shoes.name)
    assert campaign is not None and campaign.platform_id == shoes.sync.platform_id
    assert await adapter.find_child_by_name(EntityType.AD, group.sync.platform_id, ad.name) is None
    assert await adapter.find_child_by_name(EntityType.AD_GROUP, "0", group.name) is None


async def test_a_retried_ad_reuses_the_post_its_failed_create_left(
    adapter: RedditAdapter, summer_sale: CampaignSet, reddit_sandbox: RunningSandbox
) -> None:
    shoes = summer_sale.campaigns[0]
    group = shoes.ad_groups[0]
    ad = group.ads[0]
    record(shoes, await adapter.create_campaign(shoes, BASE))
    ctx = replace(BASE, campaign=shoes)
    record(group, await adapter.create_ad_group(group, ctx))
    reddit_sandbox.set_faults(reject_names=["^Half off"])
    with pytest.raises(PlatformError) as rejected:
        await adapter.create_ad(ad, replace(ctx, ad_group=group))
    assert rejected.value.classification is ErrorClass.PERMANENT

    reddit_sandbox.set_faults(reject_names=[])
    ad.sync.attempts = 1  # what the engine records for the failure
    record(ad, await adapter.create_ad(ad, replace(ctx, ad_group=group)))

    data = state(reddit_sandbox)
    assert len(data["posts"]) == 1
    assert data["ads"][ad.sync.platform_id]["post_id"] == next(iter(data["posts"]))


async def test_mapping_errors_are_permanent_and_send_nothing(
    adapter: RedditAdapter, summer_sale: CampaignSet, reddit_sandbox: RunningSandbox
) -> None:
    bags = summer_sale.campaigns[1]
    record(bags, await adapter.create_campaign(bags, BASE))
    group = bags.ad_groups[0]
    group.bidding = Bidding(BidStrategy.MANUAL_CPM, Decimal("2.00"))
    reddit_sandbox.sandbox.clear_requests()

    with pytest.raises(PlatformError) as raised:
        await adapter.create_ad_group(group, replace(BASE, campaign=bags))

    assert isinstance(raised.value, MappingError)
    assert raised.value.classification is ErrorClass.PERMANENT
    assert raised.value.field_errors == [
        ("bidding.amount", "a CPM bid must be between $3.50 and $100, not 2.00")
    ]
    assert reddit_sandbox.requests() == []


async def test_probe_and_stats(adapter: RedditAdapter, reddit_sandbox: RunningSandbox) -> None:
    await adapter.probe(BASE)
    assert adapter.stats().api_calls == 1
    reddit_sandbox.set_faults(force_status=503)
    with pytest.raises(PlatformError) as raised:
        await adapter.probe(BASE)
    assert raised.value.retryable

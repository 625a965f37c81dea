from __future__ import annotations

import json
import os
from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from adsync_pipeline.domain.fingerprint import pushable_fields
from adsync_pipeline.domain.model import (
    AdGroup,
    Bidding,
    BidStrategy,
    Budget,
    BudgetType,
    CallToAction,
    Campaign,
    Device,
    EntityStatus,
    Keyword,
    Targeting,
)
from adsync_pipeline.platforms.adapter import PushContext
from adsync_pipeline.platforms.reddit.mapping import (
    CALLS_TO_ACTION,
    MappingError,
    ad_fields_from_reddit,
    ad_group_budget_fields,
    ad_group_fields_from_reddit,
    ad_group_payload,
    ad_group_update_payload,
    ad_payload,
    ad_update_payload,
    bidding_fields,
    budget_shares,
    campaign_budget_from_reddit,
    campaign_fields_from_reddit,
    campaign_payload,
    campaign_update_payload,
    from_micros,
    keywords_patch,
    post_payload,
    reddit_objective,
    status_patch,
    to_micros,
)
from tests.builders import summer_sale

SPEC = Path(__file__).parents[3].parent / "shared" / "reference" / "reddit-ads-v3.openapi.json"
SPEC_URI = "urn:reddit-ads-v3"

CAMPAIGN_ID = "579922433862993631"
GROUP_ID = "142154364526"
POST_ID = "t3_abc123"


def context(campaign: Campaign | None = None, group: AdGroup | None = None) -> PushContext:
    if campaign is not None:
        campaign.sync.platform_id = CAMPAIGN_ID
    if group is not None:
        group.sync.platform_id = GROUP_ID
    return PushContext(
        ad_account_id="t2_sandbox01",
        funding_instrument_id="fi_1",
        profile_id="t2_profile",
        pixel_id="a2_pixel",
        campaign=campaign,
        ad_group=group,
    )


def shoes() -> Campaign:
    return summer_sale().campaigns[0]


def bags() -> Campaign:
    return summer_sale().campaigns[1]


# --- values ---------------------------------------------------------------------------------


def test_money_is_exact_integer_micros() -> None:
    assert to_micros(Decimal("19.99")) == 19_990_000
    assert to_micros(Decimal("0.000001")) == 1
    assert to_micros(50) == 50_000_000
    assert from_micros(19_990_000) == Decimal("19.99")


@pytest.mark.parametrize("bad", [19.99, Decimal("0.0000001"), Decimal("-1")])
def test_money_refuses_floats_sub_micros_and_negatives(bad: Any) -> None:
    with pytest.raises(MappingError):
        to_micros(bad)


@pytest.mark.parametrize(
    ("ours", "reddit"),
    [
        ("awareness", "IMPRESSIONS"),
        ("consideration", "CLICKS"),
        ("conversions", "CONVERSIONS"),
        ("VIDEO_VIEWABLE_IMPRESSIONS", "VIDEO_VIEWABLE_IMPRESSIONS"),
        ("LEAD_GENERATION", "LEAD_GENERATION"),
    ],
)
def test_objectives(ours: str, reddit: str) -> None:
    assert reddit_objective(ours) == reddit


def test_unknown_objective_is_a_mapping_error() -> None:
    with pytest.raises(MappingError) as caught:
        reddit_objective("engagement")
    assert caught.value.field == "objective"


# --- campaigns -------------------------------------------------------------------------------


def test_daily_campaign_payload() -> None:
    campaign = shoes()

    payload = campaign_payload(campaign, context())

    assert payload == {
        "name": "Summer Sale - Shoes",
        "objective": "CLICKS",
        "configured_status": "ACTIVE",
        "is_campaign_budget_optimization": False,
        "spend_cap": None,
        "funding_instrument_id": "fi_1",
    }


def test_lifetime_budget_caps_the_campaign_and_goes_to_ad_groups() -> None:
    campaign = bags()
    group = campaign.ad_groups[0]

    assert campaign_payload(campaign, context())["spend_cap"] == 1_200_000_000
    assert ad_group_budget_fields(group, campaign) == {
        "goal_type": "LIFETIME_SPEND",
        "goal_value": 1_200_000_000,
        "start_time": "2026-12-01T00:00:00Z",
        "end_time": "2026-12-31T23:00:00Z",
    }


def test_lifetime_budget_without_end_time_is_refused_before_any_call() -> None:
    campaign = bags()
    campaign.end_time = None

    with pytest.raises(MappingError) as caught:
        campaign_payload(campaign, context())
    assert caught.value.field == "end_time"
    with pytest.raises(MappingError):
        ad_group_payload(campaign.ad_groups[0], campaign, context(campaign))


def test_end_time_needs_a_start_time() -> None:
    campaign = bags()
    campaign.start_time = None

    with pytest.raises(MappingError, match="start_time"):
        campaign_payload(campaign, context())


def test_budget_shares_split_evenly_and_add_up() -> None:
    campaign = shoes()
    template = campaign.ad_groups[0]
    campaign.ad_groups = [replace(template, key=f"g{i}") for i in range(3)]
    campaign.budget = Budget(BudgetType.DAILY, Decimal("50"))

    shares = budget_shares(campaign)

    assert shares == {"g0": 16_666_667, "g1": 16_666_667, "g2": 16_666_666}
    assert sum(shares.values()) == 50_000_000


def test_removed_ad_groups_get_no_share() -> None:
    campaign = shoes()
    campaign.ad_groups.append(replace(campaign.ad_groups[0], key="gone"))
    campaign.ad_groups[1].sync = replace(campaign.ad_groups[1].sync, removed=True)

    assert budget_shares(campaign) == {"runners-us": 50_000_000}


def test_campaign_update_leaves_out_the_immutable_objective() -> None:
    payload = campaign_update_payload(shoes())

    assert "objective" not in payload
    assert payload["name"] == "Summer Sale - Shoes"


# --- ad groups -------------------------------------------------------------------------------


def test_manual_cpc_ad_group_payload() -> None:
    campaign = shoes()
    group = campaign.ad_groups[0]

    payload = ad_group_payload(group, campaign, context(campaign))

    assert payload == {
        "campaign_id": CAMPAIGN_ID,
        "name": "Runners - US",
        "configured_status": "ACTIVE",
        "bid_strategy": "MANUAL_BIDDING",
        "bid_type": "CPC",
        "bid_value": 1_250_000,
        "goal_type": "DAILY_SPEND",
        "goal_value": 50_000_000,
        "start_time": "2026-12-01T00:00:00Z",
        "end_time": None,
        "targeting": {
            "communities": ["running", "marathon"],
            "interests": ["sports"],
            "geolocations": ["US"],
            "devices": [{"type": "MOBILE"}, {"type": "DESKTOP"}],
            "keywords": ["running shoes", "marathon training"],
        },
        "conversion_pixel_id": "a2_pixel",
    }


@pytest.mark.parametrize(
    ("strategy", "amount", "objective", "expected"),
    [
        ("manual_cpm", "6", "awareness", ("MANUAL_BIDDING", "CPM", 6_000_000)),
        ("manual_cpc", "0.75", "consideration", ("MANUAL_BIDDING", "CPC", 750_000)),
        ("automatic", None, "awareness", ("MAXIMIZE_VOLUME", "CPM", None)),
        ("automatic", None, "consideration", ("MAXIMIZE_VOLUME", "CPC", None)),
        ("automatic", None, "conversions", ("MAXIMIZE_VOLUME", "CPM", None)),
    ],
)
def test_bidding(strategy: str, amount: str | None, objective: str, expected: tuple) -> None:
    bidding = Bidding(BidStrategy(strategy), Decimal(amount) if amount else None)

    fields = bidding_fields(bidding, objective)

    assert (fields["bid_strategy"], fields["bid_type"], fields["bid_value"]) == expected


@pytest.mark.parametrize("amount", ["3.50", "100", "42.42"])
def test_cpm_bounds_inclusive(amount: str) -> None:
    bidding = Bidding(BidStrategy.MANUAL_CPM, Decimal(amount))

    assert bidding_fields(bidding, "awareness")["bid_value"] == to_micros(Decimal(amount))


@pytest.mark.parametrize("amount", ["3.49", "100.01", "0.5"])
def test_cpm_out_of_bounds_is_refused(amount: str) -> None:
    with pytest.raises(MappingError) as caught:
        bidding_fields(Bidding(BidStrategy.MANUAL_CPM, Decimal(amount)), "awareness")
    assert caught.value.field == "bidding.amount"


def test_manual_bid_needs_an_amount() -> None:
    with pytest.raises(MappingError, match="needs a bid amount"):
        bidding_fields(Bidding(BidStrategy.MANUAL_CPC), "consideration")


def test_conversions_campaign_gets_an_optimization_goal() -> None:
    campaign = shoes()
    campaign.objective = "conversions"
    group = campaign.ad_groups[0]

    assert ad_group_payload(group, campaign, context(campaign))["optimization_goal"] == "PAGE_VISIT"
    group.optimization_goal = "purchase"
    assert ad_group_payload(group, campaign, context(campaign))["optimization_goal"] == "PURCHASE"


def test_no_optimization_goal_outside_conversions_unless_given() -> None:
    campaign = shoes()

    assert "optimization_goal" not in ad_group_payload(
        campaign.ad_groups[0], campaign, context(campaign)
    )


def test_ad_group_needs_a_pixel_and_a_pushed_campaign() -> None:
    campaign = shoes()
    group = campaign.ad_groups[0]

    with pytest.raises(MappingError, match="conversion_pixel_id"):
        ad_group_payload(group, campaign, replace(context(campaign), pixel_id=None))
    campaign.sync.platform_id = None
    with pytest.raises(MappingError, match="campaign_id"):
        ad_group_payload(group, campaign, PushContext("t2_x", pixel_id="p", campaign=campaign))


def test_tablets_cannot_be_targeted_on_reddit() -> None:
    campaign = shoes()
    group = campaign.ad_groups[0]
    group.targeting = Targeting(devices=(Device.TABLET,))

    with pytest.raises(MappingError, match="targeting.devices"):
        ad_group_payload(group, campaign, context(campaign))


def test_keywords_live_in_targeting_without_removed_or_duplicates() -> None:
    campaign = shoes()
    group = campaign.ad_groups[0]
    group.keywords.append(Keyword(key="dup", text="running shoes"))
    group.keywords[1].sync.removed = True

    patch = keywords_patch(group, group.keywords)

    assert patch["targeting"]["keywords"] == ["running shoes"]
    assert patch["targeting"]["communities"] == ["running", "marathon"]


def test_too_many_keywords_are_refused() -> None:
    group = shoes().ad_groups[0]
    many = [Keyword(key=f"k{i}", text=f"word {i}") for i in range(1001)]

    with pytest.raises(MappingError, match="at most 1000"):
        keywords_patch(group, many)


def test_ad_group_update_keeps_targeting_whole_and_goal_fixed() -> None:
    campaign = shoes()
    campaign.objective = "conversions"
    group = campaign.ad_groups[0]

    payload = ad_group_update_payload(group, campaign, context(campaign))

    assert "optimization_goal" not in payload and "campaign_id" not in payload
    assert payload["targeting"]["keywords"] == ["running shoes", "marathon training"]


# --- posts and ads ---------------------------------------------------------------------------


def test_post_payload() -> None:
    ad = shoes().ad_groups[0].ads[0]

    assert post_payload(ad) == {
        "type": "TEXT",
        "headline": "50% off running shoes this summer",
        "body": "Light, fast, and half price until August.",
        "content": [
            {
                "destination_url": "https://shop.example.com/running?utm_source=reddit",
                "display_url": "shop.example.com",
                "call_to_action": "Shop Now",
            }
        ],
    }


def test_every_call_to_action_has_a_reddit_string() -> None:
    assert set(CALLS_TO_ACTION) == set(CallToAction)
    assert CALLS_TO_ACTION[CallToAction.GET_A_QUOTE] == "Get a Quote"
    assert CALLS_TO_ACTION[CallToAction.LEARN_MORE] == "Learn More"


@pytest.mark.parametrize("display", ["example.com", "www.shop.example.com/sale"])
def test_display_url_may_show_the_parent_domain(display: str) -> None:
    ad = replace(shoes().ad_groups[0].ads[0], display_url=display)

    assert post_payload(ad)["content"][0]["display_url"] == display


@pytest.mark.parametrize("display", ["other.com", "example.com.evil.io", "shop.example.co"])
def test_display_url_off_domain_is_refused(display: str) -> None:
    ad = replace(shoes().ad_groups[0].ads[0], display_url=display)

    with pytest.raises(MappingError) as caught:
        post_payload(ad)
    assert caught.value.field == "display_url"


def test_headline_limits() -> None:
    ad = shoes().ad_groups[0].ads[0]
    with pytest.raises(MappingError, match="headline"):
        post_payload(replace(ad, headline="x" * 301))
    with pytest.raises(MappingError, match="final_url"):
        post_payload(replace(ad, final_url="shop.example.com/running"))


def test_ad_payload() -> None:
    campaign = shoes()
    group = campaign.ad_groups[0]
    ad = group.ads[0]
    ad.status = EntityStatus.PAUSED

    assert ad_payload(ad, context(campaign, group), POST_ID) == {
        "ad_group_id": GROUP_ID,
        "name": "Half off running shoes",
        "configured_status": "PAUSED",
        "post_id": POST_ID,
        "click_url": "https://shop.example.com/running?utm_source=reddit",
    }


# --- back from Reddit ------------------------------------------------------------------------


def test_campaign_round_trip() -> None:
    campaign = shoes()
    sent = campaign_payload(campaign, context())

    back = campaign_fields_from_reddit({**sent, "id": CAMPAIGN_ID})

    ours = pushable_fields(campaign)
    assert back == {key: ours[key] for key in back}


def test_ad_group_round_trip() -> None:
    campaign = bags()
    group = campaign.ad_groups[0]
    sent = ad_group_payload(group, campaign, context(campaign))

    back = ad_group_fields_from_reddit(sent)

    ours = pushable_fields(group)
    assert back.pop("keywords") == []
    assert back == {key: ours[key] for key in back}
    assert campaign_budget_from_reddit([sent]) == campaign.budget


def test_campaign_budget_is_the_sum_of_ad_group_goals() -> None:
    groups = [
        {"goal_type": "DAILY_SPEND", "goal_value": 16_666_667, "configured_status": "ACTIVE"},
        {"goal_type": "DAILY_SPEND", "goal_value": 33_333_333, "configured_status": "PAUSED"},
        {"goal_type": "DAILY_SPEND", "goal_value": 99_000_000, "configured_status": "DELETED"},
    ]

    assert campaign_budget_from_reddit(groups) == Budget(BudgetType.DAILY, Decimal("50"))
    assert campaign_budget_from_reddit([]) is None


def test_ad_round_trip() -> None:
    campaign = shoes()
    group = campaign.ad_groups[0]
    ad = group.ads[0]
    sent_ad = ad_payload(ad, context(campaign, group), POST_ID)

    back = ad_fields_from_reddit(sent_ad, post_payload(ad))

    assert back == pushable_fields(ad)


# --- every payload validates against Reddit's own request schemas ----------------------------


@cache
def validator(path: str, method: str) -> Draft202012Validator:
    spec = json.loads(SPEC.read_text())
    registry = Registry().with_resource(SPEC_URI, Resource(spec, specification=DRAFT202012))
    pointer = "/".join(
        part.replace("~", "~0").replace("/", "~1")
        for part in ("paths", path, method, "requestBody", "content", "application/json")
    )
    # A $ref into the whole document, so refs inside the schema resolve against it too.
    schema = {"$ref": f"{SPEC_URI}#/{pointer}/schema"}
    return Draft202012Validator(schema, registry=registry)


def assert_valid(path: str, method: str, data: dict[str, Any]) -> None:
    errors = list(validator(path, method).iter_errors({"data": data}))
    # oneOf/anyOf failures carry the useful detail in their context, not their message.
    leaves = [leaf for error in errors for leaf in (error.context or [error])]
    assert not errors, "\n".join(f"{list(e.absolute_path)}: {e.message[:200]}" for e in leaves)


@pytest.fixture(autouse=False)
def spec_present() -> None:
    if not SPEC.exists():
        if os.environ.get("CI") == "true":
            pytest.fail(f"the Reddit spec is missing at {SPEC}")
        pytest.skip(f"the Reddit spec is not at {SPEC}")


def campaign_variants() -> list[Campaign]:
    base = [shoes(), bags()]
    variants = [replace(c, objective=o) for c in base for o in ("conversions", "APP_INSTALLS")]
    start, end = datetime(2026, 12, 1, tzinfo=UTC), datetime(2027, 1, 1, tzinfo=UTC)
    lifetime = replace(
        shoes(), budget=Budget(BudgetType.LIFETIME, Decimal("19.99")), start_time=start
    )
    variants.append(replace(lifetime, end_time=end))
    variants.append(replace(shoes(), status=EntityStatus.DRAFT))
    return base + variants


def ad_group_variants() -> list[tuple[AdGroup, Campaign]]:
    pairs = []
    for campaign in campaign_variants():
        for group in campaign.ad_groups:
            pairs.append((group, campaign))
            for bidding in (
                Bidding(BidStrategy.AUTOMATIC),
                Bidding(BidStrategy.MANUAL_CPM, Decimal("3.5")),
                Bidding(BidStrategy.MANUAL_CPC, Decimal("0.01")),
            ):
                pairs.append((replace(group, bidding=bidding, keywords=[]), campaign))
            bare = replace(group, targeting=Targeting(), keywords=[], optimization_goal="lead")
            pairs.append((bare, campaign))
    return pairs


@pytest.mark.usefixtures("spec_present")
@pytest.mark.parametrize("campaign", campaign_variants(), ids=lambda c: f"{c.key}-{c.objective}")
def test_campaign_payloads_match_the_spec(campaign: Campaign) -> None:
    assert_valid(
        "/ad_accounts/{ad_account_id}/campaigns", "post", campaign_payload(campaign, context())
    )
    assert_valid("/campaigns/{campaign_id}", "patch", campaign_update_payload(campaign))
    for status in ("ACTIVE", "PAUSED", "DELETED"):
        assert_valid("/campaigns/{campaign_id}", "patch", status_patch(status))


@pytest.mark.usefixtures("spec_present")
def test_ad_group_payloads_match_the_spec() -> None:
    for group, campaign in ad_group_variants():
        ctx = context(campaign, group)
        assert_valid(
            "/ad_accounts/{ad_account_id}/ad_groups",
            "post",
            ad_group_payload(group, campaign, ctx),
        )
        update = ad_group_update_payload(group, campaign, ctx)
        assert_valid("/ad_groups/{ad_group_id}", "patch", update)
        assert_valid("/ad_groups/{ad_group_id}", "patch", keywords_patch(group, group.keywords))
        budget = ad_group_budget_fields(group, campaign)
        assert_valid("/ad_groups/{ad_group_id}", "patch", budget)
    for status in ("ACTIVE", "PAUSED", "DELETED"):
        assert_valid("/ad_groups/{ad_group_id}", "patch", status_patch(status))


@pytest.mark.usefixtures("spec_present")
@pytest.mark.parametrize("cta", list(CallToAction))
def test_post_and_ad_payloads_match_the_spec(cta: CallToAction) -> None:
    campaign = shoes()
    group = campaign.ad_groups[0]
    ad = replace(group.ads[0], call_to_action=cta)
    plain = replace(ad, description="", display_url=None)
    for variant in (ad, plain):
        assert_valid("/profiles/{profile_id}/posts", "post", post_payload(variant))
        ctx = context(campaign, group)
        assert_valid("/ad_accounts/{ad_account_id}/ads", "post", ad_payload(variant, ctx, POST_ID))
        assert_valid("/ads/{ad_id}", "patch", ad_update_payload(variant, POST_ID))
    for status in ("ACTIVE", "PAUSED", "DELETED"):
        assert_valid("/ads/{ad_id}", "patch", status_patch(status))


@pytest.mark.usefixtures("spec_present")
def test_the_schema_check_catches_a_bad_payload() -> None:
    bad = {**campaign_payload(shoes(), context()), "objective": "awareness"}

    with pytest.raises(AssertionError, match="objective"):
        assert_valid("/ad_accounts/{ad_account_id}/campaigns", "post", bad)


def test_unknown_status_patch_is_refused() -> None:
    with pytest.raises(MappingError):
        status_patch("ARCHIVED")

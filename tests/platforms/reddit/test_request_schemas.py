"""Every request body the client can send validates against Reddit's official OpenAPI schema.

The bodies are captured from the client's own CallRecords while it drives the sandbox through
each create/update operation of `RedditAds`, so the check covers what goes over the wire.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from adsync_pipeline.platforms.reddit.client import CallRecord, RedditClient
from adsync_pipeline.platforms.reddit.services import RedditAds
from adsync_pipeline.sandbox.reddit import RunningSandbox
from adsync_pipeline.sandbox.reddit_state import FUNDING_INSTRUMENT_ID, PIXEL_ID, PROFILE_ID

from .conftest import ACCOUNT

SPEC = Path(__file__).resolve().parents[4] / "shared" / "reference" / "reddit-ads-v3.openapi.json"


@cache
def spec() -> dict[str, Any]:
    return json.loads(SPEC.read_text(encoding="utf-8"))


def template_of(method: str, path: str) -> str:
    for template, operations in spec()["paths"].items():
        pattern = "^" + re.sub(r"\{\w+\}", "[^/]+", template) + "$"
        if method.lower() in operations and re.match(pattern, path):
            return template
    raise AssertionError(f"{method} {path} is not an operation of the spec")


def validator(method: str, template: str) -> jsonschema.Draft202012Validator:
    body = spec()["paths"][template][method.lower()]["requestBody"]
    schema = {**body["content"]["application/json"]["schema"]}
    schema["components"] = spec()["components"]  # so "#/components/..." refs resolve
    return jsonschema.Draft202012Validator(schema)


async def drive_every_write(ads: RedditAds) -> None:
    campaign = await ads.create_campaign(
        ACCOUNT,
        {
            "name": "Summer Sale",
            "configured_status": "PAUSED",
            "objective": "CONVERSIONS",
            "funding_instrument_id": FUNDING_INSTRUMENT_ID,
            "special_ad_categories": ["NONE"],
        },
    )
    await ads.update_campaign(campaign["id"], {"name": "Summer Sale 2", "spend_cap": 90_000_000})
    ad_group = await ads.create_ad_group(
        ACCOUNT,
        {
            "name": "Shoppers",
            "campaign_id": campaign["id"],
            "configured_status": "PAUSED",
            "bid_strategy": "MANUAL_BIDDING",
            "bid_type": "CPM",
            "bid_value": 5_000_000,
            "goal_type": "DAILY_SPEND",
            "goal_value": 50_000_000,
            "optimization_goal": "PURCHASE",
            "conversion_pixel_id": PIXEL_ID,
            "start_time": "2026-12-01T00:00:00Z",
            "targeting": {
                "keywords": ["sneakers", "running shoes"],
                "geolocations": ["US"],
                "devices": [{"type": "MOBILE", "os": "IOS"}],
            },
        },
    )
    await ads.update_ad_group(
        ad_group["id"], {"configured_status": "ACTIVE", "targeting": {"geolocations": ["CA"]}}
    )
    post = await ads.create_post(
        PROFILE_ID,
        {
            "type": "IMAGE",
            "headline": "Big sale",
            "allow_comments": False,
            "content": [
                {
                    "destination_url": "https://shop.example.com/sale",
                    "display_url": "example.com",
                    "call_to_action": "Shop Now",
                    "media_url": "https://media.example.com/a.png",
                }
            ],
        },
    )
    await ads.update_post(post["id"], {"allow_comments": True})
    ad = await ads.create_ad(
        ACCOUNT,
        {
            "name": "Sale ad",
            "ad_group_id": ad_group["id"],
            "configured_status": "PAUSED",
            "post_id": post["id"],
            "click_url": "https://shop.example.com/sale",
            "click_url_query_parameters": [{"name": "utm_source", "value": "reddit"}],
        },
    )
    await ads.update_ad(ad["id"], {"configured_status": "DELETED"})


async def test_every_request_body_validates_against_the_spec(
    reddit_sandbox: RunningSandbox, make_client: Callable[..., RedditClient]
) -> None:
    if not SPEC.is_file():
        if os.environ.get("CI") == "true":
            pytest.fail(f"the reference spec {SPEC} is required in CI")
        pytest.skip("Reddit's OpenAPI reference file is absent")
    client = make_client()
    await drive_every_write(RedditAds(client))
    sent: list[CallRecord] = [r for r in client.records if "body" in r.request_summary]
    writers = {name for name in dir(RedditAds) if name.startswith(("create_", "update_"))}
    assert len(sent) == len(writers) == 8
    assert all(r.status in (200, 201) for r in sent), [(r.path, r.error) for r in sent]
    for record in sent:
        template = template_of(record.method, record.path)
        body = record.request_summary["body"]
        errors = list(validator(record.method, template).iter_errors(body))
        assert not errors, f"{record.method} {template}: {[e.message for e in errors]}"


def test_an_invalid_body_is_caught_by_the_same_check() -> None:
    if not SPEC.is_file():
        pytest.skip("Reddit's OpenAPI reference file is absent")
    check = validator("POST", "/ad_accounts/{ad_account_id}/campaigns")
    assert list(check.iter_errors({"data": {"name": "No objective", "colour": "red"}}))

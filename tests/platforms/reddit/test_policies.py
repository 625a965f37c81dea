"""The route → rate-limit policy table against Reddit's OpenAPI document, its source."""

from __future__ import annotations

import re

import pytest

from adsync_pipeline.platforms.reddit.policies import ROUTE_POLICIES
from adsync_pipeline.platforms.reddit.ratelimit import route_key
from adsync_pipeline.sandbox.reddit import API_ROUTES
from adsync_pipeline.sandbox.reddit_spec import current_spec, spec_policy

METHODS = ("get", "post", "put", "patch", "delete")


def table_key(method: str, template: str) -> str:
    return f"{method.upper()} {re.sub(r'{[^}]+}', '{}', template)}"


def test_the_table_is_the_policy_each_operation_of_the_spec_names() -> None:
    spec = current_spec()
    if spec is None:
        pytest.skip("Reddit's OpenAPI document is not present")
    derived: dict[str, str] = {}
    for template, operations in spec["paths"].items():
        for method in METHODS:
            if method not in operations:
                continue
            policy = spec_policy(template, method)
            if policy is not None:
                key = table_key(method, template)
                assert derived.setdefault(key, policy.name) == policy.name, key
    assert ROUTE_POLICIES == derived


def test_every_route_adsync_calls_is_in_the_table() -> None:
    # The sandbox serves exactly the operations adsync's client calls.
    for route in API_ROUTES:
        assert table_key(route.method, route.template) in ROUTE_POLICIES, route.template


@pytest.mark.parametrize(
    ("method", "path", "policy"),
    [
        ("POST", "/ad_accounts/t2_sandbox01/ad_groups", "ads-campaign-management-write"),
        ("PATCH", "/ads/1786", "ads-campaign-management-write"),
        ("POST", "/profiles/t2_profile1/posts", "ads-creative-management"),
        ("GET", "/ad_accounts/a2_abc/funding_instruments", "ads-funding-instruments"),
    ],
)
def test_paths_with_real_ids_find_their_policy(method: str, path: str, policy: str) -> None:
    assert ROUTE_POLICIES[route_key(method, path)] == policy

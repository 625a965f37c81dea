"""GET /businesses/{business_id}/ad_accounts on the Reddit sandbox, and the admin way to add
a further ad account to a business."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import jsonschema
import pytest

from adsync_pipeline.sandbox.reddit import RunningSandbox
from adsync_pipeline.sandbox.reddit_spec import current_spec
from adsync_pipeline.sandbox.reddit_state import AD_ACCOUNT_ID, BUSINESS_ID, REFRESH_TOKEN

from .test_reddit_sandbox import UA, token_request

ROUTE = f"/businesses/{BUSINESS_ID}/ad_accounts"
SECOND = "t2_sandbox02"


@pytest.fixture
def api(reddit_sandbox: RunningSandbox) -> Iterator[httpx.Client]:
    token = token_request(
        reddit_sandbox, grant_type="refresh_token", refresh_token=REFRESH_TOKEN
    ).json()["access_token"]
    headers = {**UA, "Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=reddit_sandbox.api_url, headers=headers) as http:
        yield http


def test_lists_the_seeded_account_in_the_list_envelope(api: httpx.Client) -> None:
    response = api.get(ROUTE)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["pagination"] == {"next_url": None, "previous_url": None}
    assert [a["id"] for a in body["data"]] == [AD_ACCOUNT_ID]
    assert body["data"][0] == api.get(f"/ad_accounts/{AD_ACCOUNT_ID}").json()["data"]
    # The spec puts this operation under the campaign-management read policy.
    assert response.headers["RateLimit-Policy"].startswith('"ads-campaign-management-read"')


def test_answer_matches_the_official_response_schema(api: httpx.Client) -> None:
    spec = current_spec()
    if spec is None:
        pytest.skip("Reddit's OpenAPI reference file is absent")
    operation = spec["paths"]["/businesses/{business_id}/ad_accounts"]["get"]
    schema = operation["responses"]["200"]["content"]["application/json"]["schema"]
    jsonschema.validate(api.get(ROUTE).json(), schema)


def test_second_account_pages_and_filters(
    reddit_sandbox: RunningSandbox, api: httpx.Client
) -> None:
    added = httpx.post(
        f"{reddit_sandbox.admin_url}/ad_accounts", json={"id": SECOND, "name": "Second"}
    )
    assert added.status_code == 200, added.text
    assert added.json()["data"]["business_id"] == BUSINESS_ID
    assert [a["id"] for a in api.get(ROUTE).json()["data"]] == [AD_ACCOUNT_ID, SECOND]

    url: str | None = f"{reddit_sandbox.api_url}{ROUTE}?page.size=1"
    seen, next_urls = [], []
    while url:
        body = api.get(url).json()
        seen += [a["id"] for a in body["data"]]
        url = body["pagination"]["next_url"]
        next_urls += [url] if url else []
    assert seen == [AD_ACCOUNT_ID, SECOND] and len(next_urls) == 1
    assert next_urls[0].count("page.size") == 1 and next_urls[0].count("page.token") == 1

    filtered = api.get(ROUTE, params={"ids": f"{SECOND},t2_unknown"}).json()["data"]
    assert [a["id"] for a in filtered] == [SECOND]

    # The new account is usable: its own funding instrument and profile.
    funding = api.get(f"/ad_accounts/{SECOND}/funding_instruments").json()["data"]
    assert [f["is_servable"] for f in funding] == [True]
    assert len(api.get(f"/ad_accounts/{SECOND}/profiles").json()["data"]) == 1


def test_errors(reddit_sandbox: RunningSandbox, api: httpx.Client) -> None:
    unknown = api.get("/businesses/00000000-0000-4000-8000-000000000000/ad_accounts")
    assert unknown.status_code == 404 and unknown.json()["error"]["code"] == 404
    assert api.post(ROUTE, json={"data": {}}).status_code == 404  # wrong verb
    assert api.get(ROUTE, params={"page.size": 1001}).status_code == 400
    assert httpx.get(f"{reddit_sandbox.api_url}{ROUTE}", headers=UA).status_code == 401
    # Adding the same account twice, or to an unknown business, is refused.
    admin = f"{reddit_sandbox.admin_url}/ad_accounts"
    assert httpx.post(admin, json={"id": AD_ACCOUNT_ID}).status_code == 400
    assert httpx.post(admin, json={"id": "t2_x", "business_id": "nope"}).status_code == 400

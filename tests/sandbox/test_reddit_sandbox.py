"""The Reddit sandbox over real HTTP: OAuth, envelopes, validation, pagination, limits, faults."""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import parse_qs, urlparse

import httpx
import pytest

from adsync_pipeline.sandbox.reddit import RunningSandbox, run_sandbox_in_thread
from adsync_pipeline.sandbox.reddit_state import (
    AD_ACCOUNT_ID,
    CLIENT_ID,
    CLIENT_SECRET,
    FUNDING_INSTRUMENT_ID,
    PIXEL_ID,
    PROFILE_ID,
    REFRESH_TOKEN,
    UNSERVABLE_FUNDING_INSTRUMENT_ID,
)

UA = {"User-Agent": "linux:adsync-tests:0.1 (by /u/adsync)"}
ACCOUNT = f"/ad_accounts/{AD_ACCOUNT_ID}"


def token_request(sandbox: RunningSandbox, **form: str) -> httpx.Response:
    return httpx.post(
        f"{sandbox.auth_url}/api/v1/access_token",
        data=form,
        auth=(CLIENT_ID, CLIENT_SECRET),
        headers=UA,
    )


@pytest.fixture
def client(reddit_sandbox: RunningSandbox) -> httpx.Client:
    token = token_request(
        reddit_sandbox, grant_type="refresh_token", refresh_token=REFRESH_TOKEN
    ).json()["access_token"]
    headers = {**UA, "Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=reddit_sandbox.api_url, headers=headers) as http:
        yield http


def campaign_body(**overrides: Any) -> dict[str, Any]:
    return {
        "data": {
            "name": "Summer Sale",
            "configured_status": "ACTIVE",
            "objective": "CONVERSIONS",
            "funding_instrument_id": FUNDING_INSTRUMENT_ID,
            **overrides,
        }
    }


def ad_group_body(campaign_id: str, **overrides: Any) -> dict[str, Any]:
    return {
        "data": {
            "name": "Shoppers",
            "campaign_id": campaign_id,
            "configured_status": "ACTIVE",
            "bid_strategy": "MANUAL_BIDDING",
            "bid_type": "CPM",
            "bid_value": 5_000_000,
            "goal_type": "DAILY_SPEND",
            "goal_value": 50_000_000,
            "optimization_goal": "PURCHASE",
            "conversion_pixel_id": PIXEL_ID,
            "start_time": "2026-12-01T00:00:00Z",
            "targeting": {"keywords": ["sneakers"], "geolocations": ["US"]},
            **overrides,
        }
    }


def post_body(**overrides: Any) -> dict[str, Any]:
    content = {
        "destination_url": "https://shop.example.com/sale",
        "display_url": "example.com",
        "call_to_action": "Shop Now",
        "media_url": "https://media.example.com/a.png",
    }
    return {"data": {"type": "IMAGE", "headline": "Big sale", "content": [content], **overrides}}


def create(client: httpx.Client, path: str, body: dict[str, Any]) -> dict[str, Any]:
    response = client.post(path, json=body)
    assert response.status_code == 201, response.text
    return response.json()["data"]


def field_names(response: httpx.Response) -> set[str]:
    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert error["code"] == 400 and error["message"]
    return {f["field"] for f in error["fields"]}


# --- OAuth ---------------------------------------------------------------------------------


def authorize(sandbox: RunningSandbox, duration: str = "permanent") -> str:
    response = httpx.get(
        f"{sandbox.auth_url}/api/v1/authorize",
        params={
            "client_id": CLIENT_ID,
            "response_type": "code",
            "state": "xyz",
            "redirect_uri": "http://localhost:9999/callback",
            "duration": duration,
            "scope": "adsread,adsedit",
        },
    )
    assert response.status_code == 302
    query = parse_qs(urlparse(response.headers["location"]).query)
    assert query["state"] == ["xyz"]
    return query["code"][0]


def test_code_exchange_is_single_use_and_refresh_works(reddit_sandbox: RunningSandbox) -> None:
    code = authorize(reddit_sandbox)
    redirect = "http://localhost:9999/callback"
    first = token_request(
        reddit_sandbox, grant_type="authorization_code", code=code, redirect_uri=redirect
    )
    assert first.status_code == 200
    tokens = first.json()
    assert tokens["token_type"] == "bearer" and tokens["expires_in"] == 3600
    assert tokens["scope"] == "adsread adsedit" and tokens["refresh_token"]

    reused = token_request(
        reddit_sandbox, grant_type="authorization_code", code=code, redirect_uri=redirect
    )
    assert (reused.status_code, reused.json()) == (400, {"error": "invalid_grant"})

    refreshed = token_request(
        reddit_sandbox, grant_type="refresh_token", refresh_token=tokens["refresh_token"]
    )
    assert refreshed.status_code == 200
    assert refreshed.json()["access_token"] != tokens["access_token"]


def test_temporary_authorization_issues_no_refresh_token(reddit_sandbox: RunningSandbox) -> None:
    code = authorize(reddit_sandbox, duration="temporary")
    response = token_request(
        reddit_sandbox,
        grant_type="authorization_code",
        code=code,
        redirect_uri="http://localhost:9999/callback",
    )
    assert "refresh_token" not in response.json()


def test_revoked_refresh_token_kills_its_access_tokens(reddit_sandbox: RunningSandbox) -> None:
    access = token_request(
        reddit_sandbox, grant_type="refresh_token", refresh_token=REFRESH_TOKEN
    ).json()["access_token"]
    revoke = httpx.post(
        f"{reddit_sandbox.auth_url}/api/v1/revoke_token",
        data={"token": REFRESH_TOKEN, "token_type_hint": "refresh_token"},
        auth=(CLIENT_ID, CLIENT_SECRET),
        headers=UA,
    )
    assert revoke.status_code == 204
    again = token_request(reddit_sandbox, grant_type="refresh_token", refresh_token=REFRESH_TOKEN)
    assert (again.status_code, again.json()) == (400, {"error": "invalid_grant"})
    me = httpx.get(f"{reddit_sandbox.api_url}/me", headers={"Authorization": f"Bearer {access}"})
    assert me.status_code == 401


def test_bad_client_credentials_get_401(reddit_sandbox: RunningSandbox) -> None:
    response = httpx.post(
        f"{reddit_sandbox.auth_url}/api/v1/access_token",
        data={"grant_type": "refresh_token", "refresh_token": REFRESH_TOKEN},
        auth=(CLIENT_ID, "wrong"),
        headers=UA,
    )
    assert response.status_code == 401


def test_default_user_agent_is_throttled(reddit_sandbox: RunningSandbox) -> None:
    response = httpx.post(
        f"{reddit_sandbox.auth_url}/api/v1/access_token",
        data={"grant_type": "refresh_token", "refresh_token": REFRESH_TOKEN},
        auth=(CLIENT_ID, CLIENT_SECRET),
    )
    assert response.status_code == 429


def test_missing_and_expired_bearer_tokens_get_401(
    reddit_sandbox: RunningSandbox, client: httpx.Client
) -> None:
    anonymous = httpx.get(f"{reddit_sandbox.api_url}/me", headers=UA)
    assert anonymous.status_code == 401
    assert anonymous.json()["error"]["code"] == 401
    assert client.get("/me").status_code == 200
    assert reddit_sandbox.expire_tokens() == 1
    assert client.get("/me").status_code == 401


def test_expires_in_is_configurable(reddit_sandbox: RunningSandbox) -> None:
    reddit_sandbox.set_faults(expires_in=86400)
    response = token_request(
        reddit_sandbox, grant_type="refresh_token", refresh_token=REFRESH_TOKEN
    )
    assert response.json()["expires_in"] == 86400


# --- envelopes, routing --------------------------------------------------------------------


def test_full_hierarchy_is_created_with_201_envelopes(client: httpx.Client) -> None:
    campaign = create(client, f"{ACCOUNT}/campaigns", campaign_body())
    assert campaign["id"].isdigit() and len(campaign["id"]) >= 18
    group = create(client, f"{ACCOUNT}/ad_groups", ad_group_body(campaign["id"]))
    post = create(client, f"/profiles/{PROFILE_ID}/posts", post_body())
    assert post["id"].startswith("t3_")
    ad = create(
        client,
        f"{ACCOUNT}/ads",
        {"data": {"name": "Ad one", "ad_group_id": group["id"], "configured_status": "ACTIVE",
                  "post_id": post["id"], "click_url": "https://shop.example.com/sale"}},
    )  # fmt: skip
    assert ad["campaign_id"] == campaign["id"]
    assert ad["effective_status"] == "ACTIVE" and ad["rejection_reason"] is None
    assert int(ad["id"]) > int(group["id"]) > int(campaign["id"])

    fetched = client.get(f"/ads/{ad['id']}")
    assert fetched.status_code == 200 and fetched.json()["data"] == ad
    listed = client.get(f"{ACCOUNT}/ad_groups", params={"campaign_id": campaign["id"]}).json()
    assert [g["id"] for g in listed["data"]] == [group["id"]]
    assert listed["pagination"] == {"next_url": None, "previous_url": None}


def test_seeded_accounts_and_funding(client: httpx.Client) -> None:
    assert client.get("/me").json()["data"]["reddit_user_id"].startswith("t2_")
    assert client.get(ACCOUNT).json()["data"]["currency"] == "USD"
    funding = client.get(f"{ACCOUNT}/funding_instruments").json()["data"]
    servable = {f["id"]: f["is_servable"] for f in funding}
    assert servable == {FUNDING_INSTRUMENT_ID: True, UNSERVABLE_FUNDING_INSTRUMENT_ID: False}
    assert [p["id"] for p in client.get(f"{ACCOUNT}/pixels").json()["data"]] == [PIXEL_ID]
    assert [p["id"] for p in client.get(f"{ACCOUNT}/profiles").json()["data"]] == [PROFILE_ID]


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("DELETE", "/campaigns/123"),
        ("PUT", "/campaigns/123"),
        ("POST", "/campaigns/123"),
        ("GET", "/campaigns/123/ads"),
        ("GET", "/nothing"),
    ],
)
def test_wrong_verbs_and_paths_are_404(client: httpx.Client, method: str, path: str) -> None:
    response = client.request(method, path)
    assert response.status_code == 404
    assert response.json()["error"]["code"] == 404


def test_unknown_ids_are_404(client: httpx.Client) -> None:
    for path in ("/campaigns/1", "/ad_groups/1", "/ads/1", "/posts/t3_nope", "/ad_accounts/t2_x"):
        assert client.get(path).status_code == 404, path
    assert client.patch("/campaigns/1", json={"data": {"name": "abc"}}).status_code == 404


def test_delete_is_a_patch_and_stays_listed(client: httpx.Client) -> None:
    campaign = create(client, f"{ACCOUNT}/campaigns", campaign_body())
    response = client.patch(
        f"/campaigns/{campaign['id']}", json={"data": {"configured_status": "DELETED"}}
    )
    assert response.status_code == 200
    listed = client.get(f"{ACCOUNT}/campaigns").json()["data"]
    assert [(c["id"], c["configured_status"]) for c in listed] == [(campaign["id"], "DELETED")]


def test_effective_status_lags_configured_status(
    reddit_sandbox: RunningSandbox, client: httpx.Client
) -> None:
    reddit_sandbox.configure(effective_status_delay=0.3)
    campaign = create(client, f"{ACCOUNT}/campaigns", campaign_body())
    assert campaign["effective_status"] == "PROCESSING"
    time.sleep(0.35)
    paused = client.patch(
        f"/campaigns/{campaign['id']}", json={"data": {"configured_status": "PAUSED"}}
    ).json()["data"]
    assert (paused["configured_status"], paused["effective_status"]) == ("PAUSED", "ACTIVE")
    time.sleep(0.35)
    assert client.get(f"/campaigns/{campaign['id']}").json()["data"]["effective_status"] == "PAUSED"


# --- validation ----------------------------------------------------------------------------


def test_schema_errors_carry_field_paths(client: httpx.Client) -> None:
    response = client.post(
        f"{ACCOUNT}/campaigns",
        json={"data": {"name": "ab", "configured_status": "ON", "surprise": 1}},
    )
    assert {
        "data/name",
        "data/configured_status",
        "data/objective",
        "data/surprise",
    } <= field_names(response)


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"funding_instrument_id": UNSERVABLE_FUNDING_INSTRUMENT_ID}, "data/funding_instrument_id"),
        ({"funding_instrument_id": "missing"}, "data/funding_instrument_id"),
        (
            {"is_campaign_budget_optimization": True, "goal_type": "DAILY_SPEND",
             "goal_value": 10_000_000, "bid_strategy": "BIDLESS", "bid_type": "CPC",
             "start_time": "2026-12-01T00:00:00Z"},
            "data/conversion_pixel_id",
        ),
        ({"is_campaign_budget_optimization": True}, "data/start_time"),
        (
            {"is_campaign_budget_optimization": True, "goal_type": "LIFETIME_SPEND",
             "goal_value": 10_000_000, "bid_strategy": "BIDLESS", "bid_type": "CPC",
             "start_time": "2026-12-01T00:00:00Z", "conversion_pixel_id": PIXEL_ID},
            "data/end_time",
        ),
        ({"conversion_pixel_id": "t2_someone_else"}, "data/conversion_pixel_id"),
    ],
)  # fmt: skip
def test_campaign_business_rules(client: httpx.Client, overrides: dict, field: str) -> None:
    response = client.post(f"{ACCOUNT}/campaigns", json=campaign_body(**overrides))
    assert field in field_names(response)


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"bid_value": 3_000_000}, "data/bid_value"),
        ({"bid_value": 150_000_000}, "data/bid_value"),
        ({"bid_value": 5.5}, "data/bid_value"),
        ({"conversion_pixel_id": None}, "data/conversion_pixel_id"),
        ({"optimization_goal": None}, "data/optimization_goal"),
        ({"campaign_id": "999"}, "data/campaign_id"),
        ({"goal_type": "LIFETIME_SPEND"}, "data/end_time"),
        ({"targeting": {"keywords": ["k"] * 1001}}, "data/targeting/keywords"),
    ],
)
def test_ad_group_business_rules(client: httpx.Client, overrides: dict, field: str) -> None:
    campaign = create(client, f"{ACCOUNT}/campaigns", campaign_body())
    body = ad_group_body(campaign["id"])
    body["data"].update(overrides)
    body["data"] = {k: v for k, v in body["data"].items() if v is not None}
    assert field in field_names(client.post(f"{ACCOUNT}/ad_groups", json=body))


def test_post_rules_and_immutable_copy(client: httpx.Client) -> None:
    elsewhere = {"destination_url": "https://shop.example.com", "display_url": "other.com"}
    response = client.post(f"/profiles/{PROFILE_ID}/posts", json=post_body(content=[elsewhere]))
    assert field_names(response) == {"data/content/0/display_url"}
    odd_cta = {"destination_url": "https://example.com", "call_to_action": "Click Here"}
    response = client.post(f"/profiles/{PROFILE_ID}/posts", json=post_body(content=[odd_cta]))
    assert field_names(response) == {"data/content/0/call_to_action"}

    post = create(client, f"/profiles/{PROFILE_ID}/posts", post_body())
    rewrite = client.patch(f"/posts/{post['id']}", json={"data": {"headline": "New copy"}})
    assert rewrite.status_code == 400
    allowed = client.patch(f"/posts/{post['id']}", json={"data": {"allow_comments": False}})
    assert allowed.status_code == 200 and allowed.json()["data"]["allow_comments"] is False
    assert allowed.json()["data"]["headline"] == "Big sale"


def test_ad_needs_an_existing_post(client: httpx.Client) -> None:
    campaign = create(client, f"{ACCOUNT}/campaigns", campaign_body())
    group = create(client, f"{ACCOUNT}/ad_groups", ad_group_body(campaign["id"]))
    body = {"data": {"name": "Ad one", "ad_group_id": group["id"], "configured_status": "ACTIVE",
                     "post_id": "t3_missing"}}  # fmt: skip
    assert "data/post_id" in field_names(client.post(f"{ACCOUNT}/ads", json=body))


def test_patch_cannot_change_immutable_fields(client: httpx.Client) -> None:
    campaign = create(client, f"{ACCOUNT}/campaigns", campaign_body())
    response = client.patch(f"/campaigns/{campaign['id']}", json={"data": {"objective": "CLICKS"}})
    assert "data/objective" in field_names(response)


# --- pagination ----------------------------------------------------------------------------


def test_pagination_follows_next_url_without_growth(
    reddit_sandbox: RunningSandbox, client: httpx.Client
) -> None:
    seeded = httpx.post(
        f"{reddit_sandbox.admin_url}/seed_campaigns",
        json={"ad_account_id": AD_ACCOUNT_ID, "count": 2500},
    )
    assert seeded.json()["created"] == 2500
    url: str | None = f"{reddit_sandbox.api_url}{ACCOUNT}/campaigns?page.size=1000"
    pages, ids, next_urls = 0, [], []
    while url:
        body = client.get(url).json()
        pages += 1
        ids += [c["id"] for c in body["data"]]
        url = body["pagination"]["next_url"]
        if url:
            assert url.startswith("http://127.0.0.1:")
            next_urls.append(url)
    assert pages == 3 and len(ids) == len(set(ids)) == 2500
    assert len({len(u) for u in next_urls}) == 1
    assert all(u.count("page.size") == 1 and u.count("page.token") == 1 for u in next_urls)


def test_page_size_above_max_is_400(client: httpx.Client) -> None:
    response = client.get(f"{ACCOUNT}/campaigns", params={"page.size": 1001})
    assert response.status_code == 400
    assert client.get(f"{ACCOUNT}/campaigns", params={"page.token": "junk"}).status_code == 400


# --- rate limits ---------------------------------------------------------------------------


def test_rate_limit_headers_and_429(reddit_sandbox: RunningSandbox, client: httpx.Client) -> None:
    reddit_sandbox.configure(
        time_scale=0.01, rate_limits={"ads-campaign-management-read": 3}
    )  # 60 s window -> 0.6 s
    first = client.get(f"{ACCOUNT}/campaigns")
    assert first.headers["RateLimit-Policy"] == '"ads-campaign-management-read";q=3;w=0.6'
    assert first.headers["RateLimit"].startswith('"ads-campaign-management-read";r=2;t=0.')
    client.get(f"{ACCOUNT}/campaigns")
    client.get(f"{ACCOUNT}/campaigns")
    limited = client.get(f"{ACCOUNT}/campaigns")
    assert limited.status_code == 429
    assert limited.json() == {"error": {"code": 429, "message": "Too Many Requests"}}
    assert ";r=0;" in limited.headers["RateLimit"] and limited.headers["Retry-After"] == "1"
    assert client.get("/me").status_code == 200  # another policy, another budget
    time.sleep(0.65)
    assert client.get(f"{ACCOUNT}/campaigns").status_code == 200


def test_real_speed_headers_are_whole_seconds(client: httpx.Client) -> None:
    response = client.post(f"{ACCOUNT}/campaigns", json=campaign_body())
    assert response.headers["RateLimit-Policy"] == '"ads-campaign-management-write";q=200;w=60'
    assert response.headers["RateLimit"] == '"ads-campaign-management-write";r=199;t=60'


# --- faults --------------------------------------------------------------------------------


def test_error_rate_answers_5xx(reddit_sandbox: RunningSandbox, client: httpx.Client) -> None:
    reddit_sandbox.set_faults(error_rate=0.5)
    statuses = [client.get("/me").status_code for _ in range(40)]
    failures = [s for s in statuses if s >= 500]
    assert 5 < len(failures) < 35 and set(failures) <= {500, 502, 503}
    assert 200 in statuses


def test_force_status_until_cleared(reddit_sandbox: RunningSandbox, client: httpx.Client) -> None:
    reddit_sandbox.set_faults(force_status=503)
    assert [client.get("/me").status_code for _ in range(3)] == [503, 503, 503]
    reddit_sandbox.clear_faults()
    assert client.get("/me").status_code == 200


def test_commit_then_502_leaves_the_entity(
    reddit_sandbox: RunningSandbox, client: httpx.Client
) -> None:
    reddit_sandbox.set_faults(create_commit_then_502_count=1)
    response = client.post(f"{ACCOUNT}/campaigns", json=campaign_body(name="Ghost"))
    assert response.status_code == 502
    listed = client.get(f"{ACCOUNT}/campaigns").json()["data"]
    assert [c["name"] for c in listed] == ["Ghost"]
    assert client.post(f"{ACCOUNT}/campaigns", json=campaign_body()).status_code == 201


@pytest.mark.parametrize("kind", ["truncated", "empty", "invalid_json", "wrong_shape"])
def test_every_nth_write_is_committed_then_answered_with_a_malformed_body(
    reddit_sandbox: RunningSandbox, client: httpx.Client, kind: str
) -> None:
    reddit_sandbox.set_faults(malformed_every=3, malformed_body=kind)
    names = [f"Campaign {n}" for n in range(1, 7)]
    answers = [client.post(f"{ACCOUNT}/campaigns", json=campaign_body(name=n)) for n in names]

    assert [a.status_code for a in answers] == [201] * 6
    garbled = [answers[2], answers[5]]
    for answer in answers[:2] + answers[3:5]:
        assert isinstance(answer.json()["data"], dict)
    for answer in garbled:
        assert answer.headers["RateLimit"]  # pacing headers survive, as through a proxy
        if kind == "wrong_shape":
            assert isinstance(answer.json()["data"], list)
        else:
            with pytest.raises(ValueError):
                answer.json()
    listed = client.get(f"{ACCOUNT}/campaigns").json()["data"]
    assert sorted(c["name"] for c in listed) == names  # every write was committed
    # Reads are never garbled.
    assert all(client.get("/me").status_code == 200 for _ in range(3))


def test_an_unknown_malformed_body_kind_is_refused(reddit_sandbox: RunningSandbox) -> None:
    put = httpx.put(f"{reddit_sandbox.admin_url}/faults", json={"malformed_body": "garbage"})
    assert put.status_code == 400


def test_reject_names(reddit_sandbox: RunningSandbox, client: httpx.Client) -> None:
    reddit_sandbox.set_faults(reject_names=["^Bad "])
    statuses = [
        client.post(f"{ACCOUNT}/campaigns", json=campaign_body(name=name)).status_code
        for name in ("Good one", "Bad one", "Good two")
    ]
    assert statuses == [201, 400, 201]


def test_latency_is_applied(reddit_sandbox: RunningSandbox, client: httpx.Client) -> None:
    reddit_sandbox.set_faults(latency=0.1)
    took = []
    for _ in range(5):
        started = time.monotonic()
        client.get("/me")
        took.append(time.monotonic() - started)
    assert min(took) >= 0.1
    assert sum(took) / len(took) < 0.1 + 0.05


def test_faults_over_admin_http(reddit_sandbox: RunningSandbox, client: httpx.Client) -> None:
    put = httpx.put(f"{reddit_sandbox.admin_url}/faults", json={"force_status": 502})
    assert put.json()["force_status"] == 502
    assert client.get("/me").status_code == 502
    assert httpx.put(f"{reddit_sandbox.admin_url}/faults", json={"nope": 1}).status_code == 400


# --- admin ---------------------------------------------------------------------------------


def test_admin_edit_and_delete(reddit_sandbox: RunningSandbox, client: httpx.Client) -> None:
    campaign = create(client, f"{ACCOUNT}/campaigns", campaign_body())
    edited = httpx.patch(
        f"{reddit_sandbox.admin_url}/campaigns/{campaign['id']}",
        json={"name": "Renamed in Ads Manager", "configured_status": "PAUSED"},
    )
    assert edited.status_code == 200
    fetched = client.get(f"/campaigns/{campaign['id']}").json()["data"]
    assert fetched["name"] == "Renamed in Ads Manager"
    assert fetched["modified_at"] > campaign["modified_at"]

    removed = httpx.post(f"{reddit_sandbox.admin_url}/campaigns/{campaign['id']}/delete")
    assert removed.status_code == 200
    assert client.get(f"/campaigns/{campaign['id']}").status_code == 404


def test_request_log_counts_calls(reddit_sandbox: RunningSandbox, client: httpx.Client) -> None:
    httpx.delete(f"{reddit_sandbox.admin_url}/requests")
    create(client, f"{ACCOUNT}/campaigns", campaign_body())
    client.get(f"{ACCOUNT}/campaigns", params={"page.size": 5})
    log = httpx.get(f"{reddit_sandbox.admin_url}/requests").json()
    assert [(r["method"], r["status"]) for r in log] == [("POST", 201), ("GET", 200)]
    assert log[1]["query"] == "page.size=5" and log[1]["path"].endswith("/campaigns")


def test_admin_state_and_reset(reddit_sandbox: RunningSandbox, client: httpx.Client) -> None:
    create(client, f"{ACCOUNT}/campaigns", campaign_body())
    assert len(httpx.get(f"{reddit_sandbox.admin_url}/state").json()["campaigns"]) == 1
    httpx.post(f"{reddit_sandbox.admin_url}/reset")
    assert httpx.get(f"{reddit_sandbox.admin_url}/state").json()["campaigns"] == {}


def test_state_file_round_trip(tmp_path: Any) -> None:
    state_file = tmp_path / "reddit.json"
    with run_sandbox_in_thread(state_file=state_file) as first:
        token = token_request(first, grant_type="refresh_token", refresh_token=REFRESH_TOKEN)
        headers = {**UA, "Authorization": f"Bearer {token.json()['access_token']}"}
        with httpx.Client(base_url=first.api_url, headers=headers) as http:
            campaign = create(http, f"{ACCOUNT}/campaigns", campaign_body())
    assert state_file.is_file()
    with run_sandbox_in_thread(state_file=state_file) as second:
        with httpx.Client(base_url=second.api_url, headers=headers) as http:
            fetched = http.get(f"/campaigns/{campaign['id']}")
    assert fetched.status_code == 200 and fetched.json()["data"]["name"] == "Summer Sale"


def test_business_rules_hold_without_the_spec_file(
    client: httpx.Client, monkeypatch: pytest.MonkeyPatch, tmp_path: Any
) -> None:
    monkeypatch.setenv("ADSYNC_REDDIT_OPENAPI", str(tmp_path / "absent.json"))
    response = client.post(f"{ACCOUNT}/campaigns", json=campaign_body(name="ab", objective="X"))
    assert field_names(response) == {"data/name", "data/objective"}
    created = client.post(f"{ACCOUNT}/campaigns", json=campaign_body())
    assert created.status_code == 201
    assert created.headers["RateLimit-Policy"].startswith('"ads-campaign-management-write";q=200')


def test_cli_registers_the_reddit_command() -> None:
    from click.testing import CliRunner

    import adsync_pipeline.cli.sandbox  # noqa: F401  (attaches the group to `cli`)
    from adsync_pipeline.cli.base import cli

    result = CliRunner().invoke(cli, ["sandbox", "reddit", "--help"])
    assert result.exit_code == 0
    for option in ("--state-file", "--time-scale", "--error-rate", "--latency", "--expires-in"):
        assert option in result.output


# --- serving -------------------------------------------------------------------------------


def test_thread_server_has_no_access_log(monkeypatch: pytest.MonkeyPatch) -> None:
    from adsync_pipeline.sandbox import reddit

    seen: dict[str, Any] = {}
    real_config = reddit.uvicorn.Config

    def config(app: Any, **options: Any) -> Any:
        seen.update(options)
        return real_config(app, **options)

    monkeypatch.setattr(reddit.uvicorn, "Config", config)
    with run_sandbox_in_thread() as sandbox:
        assert httpx.get(f"{sandbox.api_url}/me").status_code == 401
    assert seen["access_log"] is False and seen["log_level"] == "warning"


def test_cli_server_has_no_access_log(monkeypatch: pytest.MonkeyPatch) -> None:
    from adsync_pipeline.sandbox import reddit

    seen: dict[str, Any] = {}
    monkeypatch.setattr(reddit.uvicorn, "run", lambda app, **options: seen.update(options))
    reddit.serve("127.0.0.1", 0)
    assert seen["access_log"] is False and seen["log_level"] == "warning"

"""The client over real HTTP against the sandbox: pacing, retries, creates, pagination."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from urllib.parse import parse_qsl

import httpx
import pytest

from adsync_pipeline.platforms.errors import CreateOutcomeUnknown, ErrorClass, classify
from adsync_pipeline.platforms.reddit.client import CallRecord, RedditClient
from adsync_pipeline.platforms.reddit.errors import RedditApiError, RedditCreateOutcomeUnknown
from adsync_pipeline.platforms.reddit.services import RedditAds
from adsync_pipeline.sandbox.reddit import RunningSandbox

from .conftest import ACCOUNT

CAMPAIGNS = f"/api/v3/ad_accounts/{ACCOUNT}/campaigns"
WRITE = "ads-campaign-management-write"
CAMPAIGN = {"name": "Pacing target", "configured_status": "PAUSED", "objective": "CLICKS"}


def log_of(sandbox: RunningSandbox, method: str, path: str) -> list[dict]:
    return [r for r in sandbox.requests() if r["method"] == method and r["path"] == path]


async def test_pacing_300_writes_under_scaled_limits_without_a_429(
    reddit_sandbox: RunningSandbox, make_client: Callable[..., RedditClient]
) -> None:
    # 0.3 s windows of 20 writes (67 a second, a rate even a busy shared machine outruns,
    # so the limit does bind): 300 writes need at least fifteen windows.
    reddit_sandbox.configure(time_scale=0.005, rate_limits={WRITE: 20})
    client = make_client()
    ads = RedditAds(client)
    campaign = await ads.create_campaign(ACCOUNT, CAMPAIGN)
    queue: asyncio.Queue[int] = asyncio.Queue()
    for n in range(299):
        queue.put_nowait(n)

    async def worker() -> None:
        while not queue.empty():
            n = queue.get_nowait()
            await ads.update_campaign(campaign["id"], {"name": f"Pacing target {n}"})

    await asyncio.gather(*(worker() for _ in range(8)))

    statuses = [r["status"] for r in reddit_sandbox.requests()]
    assert statuses.count(429) == 0 and client.rate_limited == 0
    assert len(log_of(reddit_sandbox, "PATCH", f"/api/v3/campaigns/{campaign['id']}")) == 299
    assert client.retries == 0
    assert any(r.waited_ms > 0 for r in client.records)  # it did have to wait for resets


async def test_a_routes_first_call_waits_for_the_spent_policy_it_shares(
    reddit_sandbox: RunningSandbox, make_client: Callable[..., RedditClient]
) -> None:
    # Windows of 0.6 s holding 3 writes: three campaign creates spend the first one.
    reddit_sandbox.configure(time_scale=0.01, rate_limits={WRITE: 3})
    client = make_client()
    ads = RedditAds(client)
    created = [
        await ads.create_campaign(ACCOUNT, {**CAMPAIGN, "name": f"Shared budget {n}"})
        for n in range(3)
    ]

    # A route never called before, of the same policy: it waits for the reset, not a 429.
    renamed = await ads.update_campaign(created[0]["id"], {"name": "Shared budget renamed"})

    assert renamed["name"] == "Shared budget renamed"
    assert [r["status"] for r in reddit_sandbox.requests()].count(429) == 0
    assert client.rate_limited == 0
    assert client.records[-1].waited_ms > 0


async def test_429_storm_is_survived_with_backoff(
    reddit_sandbox: RunningSandbox, make_client: Callable[..., RedditClient]
) -> None:
    client = make_client(max_attempts=10)
    reddit_sandbox.set_faults(force_status=429)
    asyncio.get_running_loop().call_later(0.3, reddit_sandbox.clear_faults)
    me = await RedditAds(client).me()
    assert me["id"]
    assert client.rate_limited >= 2 and client.retries == client.rate_limited
    assert [r.outcome for r in client.records][-1] == "ok"
    assert all(r.was_rate_limited for r in client.records[:-1])


async def test_two_clients_sharing_a_quota_recover_from_real_429s(
    reddit_sandbox: RunningSandbox, make_client: Callable[..., RedditClient]
) -> None:
    # Each client paces itself but cannot see the other's spending: 429s happen and are
    # answered with the policy's reset, then both finish.
    reddit_sandbox.configure(time_scale=0.005, rate_limits={"ads-campaign-management-read": 10})
    clients = [make_client(max_attempts=10) for _ in range(2)]

    async def reads(client: RedditClient) -> None:
        for _ in range(40):
            await RedditAds(client).get_ad_account(ACCOUNT)

    await asyncio.gather(*(reads(c) for c in clients))
    assert sum(len([r for r in c.records if r.outcome == "ok"]) for c in clients) == 80


@pytest.mark.parametrize("method", ["GET", "PATCH"])
async def test_5xx_on_get_and_patch_is_retried(
    method: str, reddit_sandbox: RunningSandbox, make_client: Callable[..., RedditClient]
) -> None:
    def heal_after_two(record: CallRecord) -> None:
        records.append(record)
        if len(records) == 2:
            reddit_sandbox.clear_faults()

    records: list[CallRecord] = []
    client = make_client(on_call=heal_after_two)
    ads = RedditAds(client)
    campaign = await ads.create_campaign(ACCOUNT, CAMPAIGN)
    records.clear()
    reddit_sandbox.set_faults(force_status=503)
    if method == "GET":
        result = await ads.get_campaign(campaign["id"])
    else:
        result = await ads.update_campaign(campaign["id"], {"name": "Healed"})
    assert result["id"] == campaign["id"]
    assert [r.status for r in records] == [503, 503, 200]
    assert [r.attempt for r in records] == [1, 2, 3]
    assert records[0].outcome == "retryable"
    assert len(log_of(reddit_sandbox, method, f"/api/v3/campaigns/{campaign['id']}")) == 3


async def test_5xx_that_never_heals_gives_up_after_max_attempts(
    reddit_sandbox: RunningSandbox, make_client: Callable[..., RedditClient]
) -> None:
    client = make_client(max_attempts=3)
    reddit_sandbox.set_faults(force_status=500)
    with pytest.raises(RedditApiError) as caught:
        await RedditAds(client).me()
    assert caught.value.status == 500 and classify(caught.value) is ErrorClass.RETRYABLE
    assert len(log_of(reddit_sandbox, "GET", "/api/v3/me")) == 3


async def test_502_on_create_is_not_reposted_and_outcome_is_unknown(
    reddit_sandbox: RunningSandbox, make_client: Callable[..., RedditClient]
) -> None:
    client = make_client()
    ads = RedditAds(client)
    reddit_sandbox.set_faults(create_commit_then_502_count=1)
    with pytest.raises(CreateOutcomeUnknown) as caught:
        await ads.create_campaign(ACCOUNT, {**CAMPAIGN, "name": "Committed then 502"})
    error = caught.value
    assert isinstance(error, RedditCreateOutcomeUnknown) and error.status == 502
    assert classify(error) is ErrorClass.RETRYABLE
    assert len(log_of(reddit_sandbox, "POST", CAMPAIGNS)) == 1
    assert client.retries == 0 and client.records[-1].outcome == "unknown_outcome"
    # The push engine resolves it by lookup: the campaign does exist.
    names = [c["name"] async for c in ads.list_campaigns(ACCOUNT)]
    assert names.count("Committed then 502") == 1


async def test_validation_error_is_permanent_with_field_errors(
    reddit_sandbox: RunningSandbox, make_client: Callable[..., RedditClient]
) -> None:
    client = make_client()
    with pytest.raises(RedditApiError) as caught:
        await RedditAds(client).create_campaign(ACCOUNT, {**CAMPAIGN, "name": "x"})
    error = caught.value
    assert error.status == 400 and classify(error) is ErrorClass.PERMANENT
    assert any(field == "data/name" for field, _ in error.field_errors)
    assert len(log_of(reddit_sandbox, "POST", CAMPAIGNS)) == 1


async def test_listing_2500_campaigns_takes_3_requests_and_urls_do_not_grow(
    reddit_sandbox: RunningSandbox, make_client: Callable[..., RedditClient]
) -> None:
    seeded = httpx.post(f"{reddit_sandbox.admin_url}/seed_campaigns", json={"count": 2500})
    assert seeded.status_code == 200
    client = make_client()
    ids = [c["id"] async for c in RedditAds(client).list_campaigns(ACCOUNT)]
    assert len(ids) == len(set(ids)) == 2500
    pages = log_of(reddit_sandbox, "GET", CAMPAIGNS)
    assert len(pages) == 3
    queries = [parse_qsl(p["query"]) for p in pages]
    assert queries[0] == [("page.size", "1000")]
    for query in queries:
        names = [name for name, _ in query]
        assert len(names) == len(set(names))  # nothing re-appended
    assert len(pages[2]["query"]) <= len(pages[1]["query"]) + 4
    assert [r.response_summary for r in client.records][-1] == {"count": 500, "has_next": False}

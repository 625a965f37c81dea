"""Narrow unit tests of failure modes the sandbox cannot produce on demand (transport errors)
and of the header parsing and limiter bookkeeping."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from contextlib import suppress

import httpx
import pytest

from adsync_pipeline.config import RedditSettings
from adsync_pipeline.platforms.errors import CreateOutcomeUnknown
from adsync_pipeline.platforms.reddit.client import (
    REDACTED,
    RedditClient,
    StaticTokenProvider,
    redact,
)
from adsync_pipeline.platforms.reddit.errors import RedditApiError
from adsync_pipeline.platforms.reddit.ratelimit import RateLimiter, parse_headers, route_key

API = "https://ads-api.example/api/v3"
OK = {"data": {"id": "1", "name": "x"}}


def scripted(*steps: Exception | int) -> tuple[httpx.MockTransport, list[httpx.Request]]:
    """A transport answering each request with the next step: an exception or a status."""
    seen: list[httpx.Request] = []
    queue = list(steps)

    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        step = queue.pop(0)
        if isinstance(step, Exception):
            raise step
        return httpx.Response(step, json=OK if step < 400 else {"error": {"code": step}})

    return httpx.MockTransport(handle), seen


def make(transport: httpx.MockTransport) -> RedditClient:
    settings = RedditSettings(API, "https://auth.example", "id", "secret", "python:adsync:test")
    return RedditClient(
        StaticTokenProvider("tok"), settings=settings, transport=transport, backoff_base=0.001
    )


async def test_read_timeout_on_create_is_an_unknown_outcome_sent_once() -> None:
    transport, seen = scripted(httpx.ReadTimeout("slow"), 201)
    client = make(transport)
    with pytest.raises(CreateOutcomeUnknown):
        await client.create("/ad_accounts/t2_a/campaigns", {"name": "n"})
    assert len(seen) == 1


async def test_dropped_connection_on_create_is_an_unknown_outcome() -> None:
    transport, seen = scripted(httpx.RemoteProtocolError("closed"), 201)
    with pytest.raises(CreateOutcomeUnknown):
        await make(transport).create("/ad_accounts/t2_a/campaigns", {"name": "n"})
    assert len(seen) == 1


@pytest.mark.parametrize("first", [httpx.ConnectError("refused"), 429])
async def test_create_is_retried_only_when_nothing_was_done(first: Exception | int) -> None:
    transport, seen = scripted(first, 201)
    client = make(transport)
    assert (await client.create("/ad_accounts/t2_a/campaigns", {"name": "n"}))["id"] == "1"
    assert len(seen) == 2 and client.retries == 1


@pytest.mark.parametrize(
    "failure", [httpx.ReadTimeout("slow"), httpx.ConnectError("refused"), 500, 502, 429]
)
@pytest.mark.parametrize("verb", ["get", "patch"])
async def test_get_and_patch_are_retried(failure: Exception | int, verb: str) -> None:
    transport, seen = scripted(failure, 200)
    client = make(transport)
    call: Callable[..., object] = getattr(client, verb)
    args = ("/campaigns/1",) if verb == "get" else ("/campaigns/1", {"name": "n"})
    assert (await call(*args))["id"] == "1"  # type: ignore[index]
    assert len(seen) == 2


async def test_permanent_errors_are_not_retried() -> None:
    transport, seen = scripted(400, 200)
    with pytest.raises(RedditApiError) as caught:
        await make(transport).patch("/campaigns/1", {"name": "n"})
    assert caught.value.status == 400 and len(seen) == 1


async def test_request_carries_bearer_user_agent_and_envelope() -> None:
    transport, seen = scripted(201)
    await make(transport).create("/ad_accounts/t2_a/campaigns", {"name": "n"})
    request = seen[0]
    assert request.headers["authorization"] == "Bearer tok"
    assert request.headers["user-agent"] == "python:adsync:test"
    assert request.content == b'{"data":{"name":"n"}}'


def test_redaction() -> None:
    body = {"data": {"refresh_token": "x", "nested": [{"Client_Secret": "y", "name": "n"}]}}
    assert redact(body) == {
        "data": {"refresh_token": REDACTED, "nested": [{"Client_Secret": REDACTED, "name": "n"}]}
    }


def test_header_parsing_and_route_keys() -> None:
    parsed = parse_headers(
        {"RateLimit-Policy": '"ads-x";q=200;w=60', "RateLimit": '"ads-x";r=0;t=0.25'}
    )
    assert parsed is not None
    assert (parsed.policy, parsed.quota, parsed.window, parsed.remaining, parsed.reset) == (
        "ads-x",
        200,
        60.0,
        0,
        0.25,
    )
    assert parse_headers({"Content-Type": "application/json"}) is None
    assert route_key("patch", "/campaigns/1786") == "PATCH /campaigns/{}"
    assert route_key("GET", "/ad_accounts/t2_ab1/ads") == "GET /ad_accounts/{}/ads"


async def test_limiter_reserves_the_last_unit_for_one_task_only() -> None:
    now = [0.0]
    limiter = RateLimiter(clock=lambda: now[0])
    headers = {"RateLimit-Policy": '"w";q=3;w=60', "RateLimit": '"w";r=1;t=30'}
    probe = await limiter.acquire("PATCH", "/campaigns/1")
    limiter.release(probe, headers, status=200)
    last = await limiter.acquire("PATCH", "/campaigns/2")
    assert last.policy == "w"
    assert limiter.snapshot()["w"]["available"] == 0  # the next caller would wait for reset
    now[0] = 31.0
    after_reset = await limiter.acquire("PATCH", "/campaigns/3")
    assert after_reset.policy == "w"


async def test_a_waiter_cancelled_as_an_answer_wakes_it_stays_cancelled() -> None:
    limiter = RateLimiter()
    probe = await limiter.acquire("GET", "/things/1")  # a route no table names: one probe
    waiting = asyncio.ensure_future(limiter.acquire("GET", "/things/2"))
    await asyncio.sleep(0.01)  # it waits for the probe's answer

    limiter.release(probe, {}, status=200)  # wakes it ...
    waiting.cancel()  # ... and, before it runs, the push stops

    # Python 3.11's wait_for lost this cancellation: the task went on as if never cancelled.
    with pytest.raises(asyncio.CancelledError):
        await waiting


async def test_a_call_cancelled_in_flight_gives_its_unit_back() -> None:
    arrived = asyncio.Event()

    async def handle(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/1"):
            arrived.set()
            await asyncio.Event().wait()  # never answered
        return httpx.Response(200, json=OK)

    client = make(httpx.MockTransport(handle))
    stuck = asyncio.ensure_future(client.patch("/campaigns/1", {"name": "n"}))
    await arrived.wait()
    stuck.cancel()
    with suppress(asyncio.CancelledError):
        await stuck

    # It held the policy's only unit (its first call probes it); the next call must not wait
    # for the answer the cancelled one will never get.
    answer = await asyncio.wait_for(client.patch("/campaigns/2", {"name": "n"}), timeout=3)
    assert answer["id"] == "1"


async def test_a_new_windows_probe_answered_without_headers_lets_the_next_call_go() -> None:
    now = [0.0]
    limiter = RateLimiter(clock=lambda: now[0])
    spent = {"RateLimit-Policy": '"w";q=2;w=60', "RateLimit": '"w";r=0;t=30'}
    first = await limiter.acquire("PATCH", "/campaigns/1")
    limiter.release(first, spent, status=200)
    now[0] = 31.0
    probe = await limiter.acquire("PATCH", "/campaigns/2")  # the new window's one probe

    limiter.release(probe, {}, status=503)  # a 5xx without rate-limit headers

    # It stalled: no unit, no known reset, nothing in flight to tell either.
    after = await asyncio.wait_for(limiter.acquire("PATCH", "/campaigns/3"), timeout=2)
    assert after.policy == "w"


async def test_the_earliest_reset_an_answer_implies_is_kept() -> None:
    now = [0.0]
    limiter = RateLimiter(clock=lambda: now[0])
    policy = {"RateLimit-Policy": '"w";q=3;w=60'}
    probe = await limiter.acquire("PATCH", "/campaigns/1")
    limiter.release(probe, {**policy, "RateLimit": '"w";r=2;t=10'}, status=200)
    spent = [await limiter.acquire("PATCH", f"/campaigns/{n}") for n in (2, 3)]
    # Both answers were measured by the server one second apart, but the second was read
    # two seconds late: 3 + 9 says 12, while the reset is the first answer's 0 + 10.
    now[0] = 1.0
    limiter.release(spent[0], {**policy, "RateLimit": '"w";r=1;t=9'}, status=200)
    now[0] = 3.0
    limiter.release(spent[1], {**policy, "RateLimit": '"w";r=0;t=9'}, status=200)

    now[0] = 10.0 + limiter.margin
    after_reset = await asyncio.wait_for(limiter.acquire("PATCH", "/campaigns/4"), timeout=0.5)
    assert after_reset.policy == "w"


async def test_a_list_page_of_the_wrong_shape_is_retried() -> None:
    answers = [
        httpx.Response(200, json={"data": {"id": "1"}}),  # an object where a page is due
        httpx.Response(200, content=b'{"data": [{"id": "1"}'),  # cut short
        httpx.Response(200, json={"data": [{"id": "1"}], "pagination": {}}),
    ]
    client = make(httpx.MockTransport(lambda request: answers.pop(0)))

    items = [item async for item in client.paginate("/ad_accounts/t2_a/campaigns")]

    assert items == [{"id": "1"}]
    assert client.retries == 2


async def test_an_answer_of_an_ended_window_read_late_changes_nothing() -> None:
    now = [0.0]
    limiter = RateLimiter(clock=lambda: now[0])
    policy = {"RateLimit-Policy": '"w";q=3;w=60'}
    probe = await limiter.acquire("PATCH", "/campaigns/1")
    limiter.release(probe, {**policy, "RateLimit": '"w";r=2;t=10'}, status=200)
    straggler = await limiter.acquire("PATCH", "/campaigns/2")  # measured at 9.9: r=0, t=0.1
    now[0] = 10.1
    new_window = await limiter.acquire("PATCH", "/campaigns/3")
    limiter.release(new_window, {**policy, "RateLimit": '"w";r=2;t=60'}, status=200)
    now[0] = 10.2

    limiter.release(straggler, {**policy, "RateLimit": '"w";r=0;t=0.1'}, status=200)

    # The new window's count stands (less the unit the straggler might have taken from it).
    assert limiter.snapshot()["w"]["available"] == 1

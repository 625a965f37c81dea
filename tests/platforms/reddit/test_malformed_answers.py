"""2xx answers whose body is not Reddit's envelope (a flaky proxy garbled them after Reddit
committed the write): classified errors, never a crash or a hang, over real HTTP."""

from __future__ import annotations

import asyncio
import threading
from collections import Counter
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from adsync_pipeline.domain.model import SyncStatus
from adsync_pipeline.examples.generator import generate_campaign_set
from adsync_pipeline.platforms.errors import CreateOutcomeUnknown, ErrorClass
from adsync_pipeline.platforms.reddit.client import RedditClient
from adsync_pipeline.platforms.reddit.errors import RedditApiError
from adsync_pipeline.platforms.reddit.services import RedditAds
from adsync_pipeline.sandbox.reddit import RunningSandbox
from adsync_pipeline.store.campaign_sets import CampaignSetRepository
from adsync_pipeline.store.db import Database
from adsync_pipeline.store.sync_log import SyncLogRepository
from adsync_pipeline.sync.push import PushOptions
from adsync_pipeline.sync.results import PushResult
from adsync_pipeline.sync.runner import push_async
from tests.sync.conftest import connect_sandbox_account, reddit_env  # noqa: F401 (a fixture)

from .conftest import ACCOUNT

KINDS = ["truncated", "empty", "invalid_json", "wrong_shape"]
CAMPAIGN = {"name": "Garbled", "configured_status": "PAUSED", "objective": "CLICKS"}
# A push of a dozen entities takes well under a second here; a hang never ends.
DEADLINE_S = 60.0


@pytest.mark.parametrize("kind", KINDS)
async def test_a_malformed_201_is_an_unknown_outcome_sent_once(
    reddit_sandbox: RunningSandbox, make_client: Callable[..., RedditClient], kind: str
) -> None:
    reddit_sandbox.set_faults(malformed_every=1, malformed_body=kind)
    client = make_client()

    with pytest.raises(CreateOutcomeUnknown) as caught:
        await RedditAds(client).create_campaign(ACCOUNT, CAMPAIGN)

    assert caught.value.classification is ErrorClass.RETRYABLE
    assert "may have been applied" in str(caught.value)
    creates = [r for r in reddit_sandbox.requests() if r["path"].endswith("/campaigns")]
    assert len(creates) == 1  # never re-sent blind
    assert [r.outcome for r in client.records] == ["unknown_outcome"]


@pytest.mark.parametrize("kind", KINDS)
async def test_a_malformed_200_on_patch_is_retried_then_answered(
    reddit_sandbox: RunningSandbox, make_client: Callable[..., RedditClient], kind: str
) -> None:
    client = make_client()
    ads = RedditAds(client)
    campaign = await ads.create_campaign(ACCOUNT, CAMPAIGN)
    reddit_sandbox.set_faults(malformed_every=2, malformed_body=kind)  # this PATCH is write 2

    updated = await ads.update_campaign(campaign["id"], {"name": "Renamed"})

    assert updated["name"] == "Renamed"
    assert client.retries == 1
    assert [r.outcome for r in client.records] == ["ok", "retryable", "ok"]


async def test_a_patch_always_answered_malformed_fails_with_a_clear_message(
    reddit_sandbox: RunningSandbox, make_client: Callable[..., RedditClient]
) -> None:
    client = make_client(max_attempts=3)
    ads = RedditAds(client)
    campaign = await ads.create_campaign(ACCOUNT, CAMPAIGN)
    reddit_sandbox.set_faults(malformed_every=1, malformed_body="empty")

    with pytest.raises(RedditApiError) as caught:
        await ads.update_campaign(campaign["id"], {"name": "Renamed"})

    assert caught.value.classification is ErrorClass.RETRYABLE
    assert str(caught.value) == (
        f"Reddit API 200 on PATCH /campaigns/{campaign['id']}: the answer's body is not the "
        'documented {"data": ...} envelope (it is empty)'
    )
    assert client.retries == 2


# --- a whole push, every third write garbled ----------------------------------------------


def push_within_deadline(database: Database, set_id: int, run_id: str) -> PushResult:
    """The push run in its own thread and event loop: a hang fails the test, it does not
    hang the suite."""
    outcome: list[Any] = []

    def run() -> None:
        try:
            options = PushOptions(force=True)
            push = push_async(database, set_id, run_id=run_id, options=options)
            outcome.append(asyncio.run(push))
        except BaseException as exc:  # reported by the assertion below
            outcome.append(exc)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(DEADLINE_S)
    assert not thread.is_alive(), f"the push still runs after {DEADLINE_S:.0f} s"
    (result,) = outcome
    assert isinstance(result, PushResult), repr(result)
    return result


@pytest.mark.usefixtures("reddit_env")
@pytest.mark.parametrize("kind", KINDS)
async def test_a_push_with_every_third_write_garbled_ends_and_converges(
    database: Database, reddit_sandbox: RunningSandbox, kind: str
) -> None:
    connect_sandbox_account(database)
    sets = CampaignSetRepository(database)
    doc = generate_campaign_set(4, ad_groups=1, ads=2, name=f"Garbled {kind}")
    set_id = sets.import_set(doc).campaign_set_id
    reddit_sandbox.set_faults(malformed_every=3, malformed_body=kind)

    first = push_within_deadline(database, set_id, "garbled-1")
    second = push_within_deadline(database, set_id, "garbled-2")
    reddit_sandbox.clear_faults()
    third = push_within_deadline(database, set_id, "clean-3")

    for result in (first, second, third):
        assert result.refused is None and result.error is None, (result.refused, result.error)
    # Lost create answers were resolved by lookup, garbled PATCH answers by a retry.
    assert (first.synced, first.failed, first.skipped) == (16, 0, 0), first.errors
    assert second.noop == third.noop == 16
    outcomes = Counter(
        r["outcome"] for r in SyncLogRepository(database).audit_rows(run_id="garbled-1")
    )
    assert outcomes["unknown_outcome"] + outcomes["retryable"] >= 5, outcomes
    # Every entity written once on the platform, however many answers were lost.
    state = httpx.get(f"{reddit_sandbox.admin_url}/state").json()
    local = sets.load(set_id)
    for kind_name, entities in (
        ("campaigns", local.campaigns),
        ("ad_groups", [g for c in local.campaigns for g in c.ad_groups]),
        ("ads", [a for c in local.campaigns for g in c.ad_groups for a in g.ads]),
    ):
        names = Counter(e["name"] for e in state[kind_name].values())
        assert names == Counter(e.name for e in entities), kind_name
        assert all(e.sync.sync_status is SyncStatus.SYNCED for e in entities), kind_name
        assert {e.sync.platform_id for e in entities} == set(state[kind_name]), kind_name
    assert len(state["posts"]) == 8

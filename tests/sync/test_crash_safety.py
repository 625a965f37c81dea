"""No duplicates, ever: a push killed with SIGKILL at random moments, then run to the end,
leaves exactly one platform entity per local entity, each id stored locally.

The push runs as the real `adsync sync --now` command in a child process against the
Reddit sandbox on loopback; the kill lands while calls are in flight.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from typing import Any

import pytest

from adsync_pipeline.examples.generator import generate_campaign_set
from adsync_pipeline.security.vault import generate_key
from adsync_pipeline.store.campaign_sets import CampaignSetRepository
from adsync_pipeline.store.db import Database
from adsync_pipeline.store.migrate import upgrade_database

CAMPAIGNS = 50
KILLS = 10


def adsync_env(db_url: str, sandbox: Any) -> dict[str, str]:
    return {
        **os.environ,
        "ADSYNC_DATABASE_URL": db_url,
        "ADSYNC_REDDIT_API_URL": sandbox.api_url,
        "ADSYNC_REDDIT_AUTH_URL": sandbox.auth_url,
        "ADSYNC_REDDIT_CLIENT_ID": "sandbox-client",
        "ADSYNC_REDDIT_CLIENT_SECRET": "sandbox-secret",
        "ADSYNC_ENCRYPTION_KEY": generate_key(),
        # Failed entities are due again at once, so "run to the end" needs no waiting.
        "ADSYNC_RETRY_BASE_SECONDS": "0",
    }


def adsync(env: dict[str, str], *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "adsync_pipeline", *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def run_to_completion(env: dict[str, str], set_id: int) -> None:
    for _ in range(5):
        proc = adsync(env, "sync", str(set_id), "--now", "--json")
        out, _ = proc.communicate(timeout=300)
        if proc.returncode == 0:
            return
    pytest.fail(f"push never completed; last output:\n{out}")


def kill_mid_push(env: dict[str, str], set_id: int, sandbox: Any, rng: random.Random) -> None:
    before = len(sandbox.requests())
    proc = adsync(env, "sync", str(set_id), "--now", "--json")
    deadline = time.monotonic() + 60
    while len(sandbox.requests()) == before and proc.poll() is None:
        assert time.monotonic() < deadline, "the push never reached the platform"
        time.sleep(0.005)
    time.sleep(rng.uniform(0, 0.6))
    proc.send_signal(signal.SIGKILL)
    proc.communicate(timeout=30)


def live(state: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [e for e in state[kind].values() if e.get("configured_status") != "DELETED"]


def assert_exactly_one_each(db: Database, set_id: int, sandbox: Any) -> None:
    state = sandbox.state.snapshot()
    local = CampaignSetRepository(db).load(set_id)
    campaigns = live(state, "campaigns")
    groups = live(state, "ad_groups")
    ads = live(state, "ads")
    for kind, entities in (("campaign", campaigns), ("ad group", groups), ("ad", ads)):
        dupes = [n for n, count in Counter(e["name"] for e in entities).items() if count > 1]
        assert not dupes, f"duplicate {kind}s on the platform: {dupes[:5]}"
    assert len(campaigns) == CAMPAIGNS
    assert len(groups) == CAMPAIGNS
    assert len(ads) == CAMPAIGNS
    by_id = {e["id"]: e for kind in ("campaigns", "ad_groups", "ads") for e in state[kind].values()}
    for campaign in local.campaigns:
        assert by_id[campaign.sync.platform_id]["name"] == campaign.name
        for group in campaign.ad_groups:
            assert by_id[group.sync.platform_id]["name"] == group.name
            for ad in group.ads:
                platform_ad = by_id[ad.sync.platform_id]
                assert platform_ad["name"] == ad.name
                # Post-backed: the ad points at a post that exists and carries its copy.
                assert state["posts"][platform_ad["post_id"]]["headline"] == ad.headline
    # A post made for an ad whose create was cut short is reused, not left behind.
    orphans = set(state["posts"]) - {ad["post_id"] for ad in ads}
    assert not orphans, f"{len(orphans)} posts promote no ad"


# Each scenario takes about a minute, so each runs on one backend: both backends and both
# scenarios are covered without doubling the suite's longest test.
@pytest.mark.parametrize(
    ("backend", "commit_then_502"),
    [("sqlite", 0.0), ("postgres", 0.3)],
    ids=["sqlite-kills", "postgres-kills+502s"],
)
def test_killed_pushes_leave_exactly_one_entity_each(
    request: pytest.FixtureRequest, reddit_sandbox: Any, backend: str, commit_then_502: float
) -> None:
    db_url = request.getfixturevalue(f"{backend}_url")
    upgrade_database(db_url)
    db = Database.from_url(db_url)
    doc = generate_campaign_set(CAMPAIGNS, ad_groups=1, ads=1, keywords=1, name="Crash set")
    set_id = CampaignSetRepository(db).import_set(doc).campaign_set_id
    env = adsync_env(db_url, reddit_sandbox)
    connect = adsync(
        env,
        "accounts",
        "add",
        "reddit",
        "--account-id",
        "t2_sandbox01",
        "--refresh-token",
        "sandbox-refresh-token",
    )
    out, _ = connect.communicate(timeout=120)
    assert connect.returncode == 0, out
    reddit_sandbox.set_faults(latency=0.01, create_commit_then_502=commit_then_502)

    rng = random.Random(20261128)
    for _ in range(KILLS):
        kill_mid_push(env, set_id, reddit_sandbox, rng)
    reddit_sandbox.set_faults(latency=0.0, create_commit_then_502=commit_then_502)
    run_to_completion(env, set_id)

    assert_exactly_one_each(db, set_id, reddit_sandbox)
    db.dispose()

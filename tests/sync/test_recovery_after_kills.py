"""Recovery converges: `adsync sync --now` SIGKILLed again and again, each time a few
seconds into its writes, against a slow sandbox, then run to the end, leaves exactly one
platform entity per local entity with its id stored and no run `running`; the run that
recovers looks its open intents up with one list call per entity type (a page holds 1,000),
not a GET per intent, and audits each lookup and adoption under its own run id."""

from __future__ import annotations

import math
import signal
import subprocess
import time
from collections import Counter
from itertools import pairwise
from typing import Any

import pytest

from adsync_pipeline.domain.model import (
    Ad,
    AdGroup,
    Campaign,
    CampaignSet,
    EntityType,
    SyncStatus,
    entity_type_of,
)
from adsync_pipeline.examples.generator import generate_campaign_set
from adsync_pipeline.sandbox.reddit_state import AD_ACCOUNT_ID
from adsync_pipeline.store.campaign_sets import CampaignSetRepository
from adsync_pipeline.store.db import Database
from adsync_pipeline.store.migrate import upgrade_database
from adsync_pipeline.store.push_ledger import NewIntent, PushLedger
from adsync_pipeline.store.sync_log import SyncLogRepository
from adsync_pipeline.sync.runner import push_async
from tests.sync.conftest import connect_sandbox_account
from tests.sync.test_crash_safety import adsync, adsync_env, live

CAMPAIGNS = 40
KILLS = 5
KILL_AFTER_S = 2.5
LIST_PATHS = {"campaign": "/campaigns", "ad_group": "/ad_groups", "ad": "/ads"}


def writes(sandbox: Any) -> int:
    return sum(r["method"] in ("POST", "PATCH") for r in sandbox.requests())


def kill_while_writing(env: dict[str, str], set_id: int, sandbox: Any) -> None:
    """SIGKILL `adsync sync --now` once it has been writing for KILL_AFTER_S (its start-up,
    which a loaded machine stretches to seconds, is not counted)."""
    before = writes(sandbox)
    proc = adsync(env, "sync", str(set_id), "--now", "--json")
    deadline = time.monotonic() + 120
    while writes(sandbox) == before and proc.poll() is None:
        assert time.monotonic() < deadline, "the push never wrote to the platform"
        time.sleep(0.05)
    try:
        proc.wait(timeout=KILL_AFTER_S)
    except subprocess.TimeoutExpired:
        proc.send_signal(signal.SIGKILL)
    proc.communicate(timeout=30)


def entities(loaded: CampaignSet) -> list[Campaign | AdGroup | Ad]:
    groups = [group for campaign in loaded.campaigns for group in campaign.ad_groups]
    return [*loaded.campaigns, *groups, *(ad for group in groups for ad in group.ads)]


def list_kind(path: str) -> str | None:
    """The entity type a list call reads, from its path; None for any other call."""
    if "/ad_accounts/" not in path:
        return None
    return next((kind for kind, suffix in LIST_PATHS.items() if path.endswith(suffix)), None)


def lookup_calls(requests: list[dict[str, Any]]) -> Counter[str]:
    """List calls made before the run's first write, by entity type."""
    calls: Counter[str] = Counter()
    for request in (r for r in requests if r["path"].startswith("/api/v3/")):
        if request["method"] != "GET":
            break
        kind = list_kind(request["path"])
        if kind is not None:
            calls[kind] += 1
    return calls


def audited_lookups(audit: list[dict[str, Any]]) -> Counter[str]:
    """The run's list calls audited as lookups, by entity type."""
    kinds = (list_kind(row["path"]) for row in audit if row["operation"] == "lookup")
    return Counter(kind for kind in kinds if kind is not None)


@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
def test_repeated_kills_converge_with_batched_audited_lookups(
    request: pytest.FixtureRequest, reddit_sandbox: Any, backend: str
) -> None:
    db_url = request.getfixturevalue(f"{backend}_url")
    upgrade_database(db_url)
    db = Database.from_url(db_url)
    sets = CampaignSetRepository(db)
    doc = generate_campaign_set(CAMPAIGNS, ad_groups=1, ads=1, name="Killed every 5 s")
    set_id = sets.import_set(doc).campaign_set_id
    env = adsync_env(db_url, reddit_sandbox)
    connect = adsync(
        env,
        *("accounts", "add", "reddit", "--account-id", "t2_sandbox01"),
        *("--refresh-token", "sandbox-refresh-token"),
    )
    out, _ = connect.communicate(timeout=120)
    assert connect.returncode == 0, out
    log = SyncLogRepository(db)

    reddit_sandbox.set_faults(latency=0.25)
    progress = []
    for _ in range(KILLS):
        kill_while_writing(env, set_id, reddit_sandbox)
        loaded = sets.load(set_id)
        progress.append(sum(bool(e.sync.platform_id) for e in entities(loaded)))
    # No killed run undoes another's work, and together they get somewhere.
    assert all(b >= a for a, b in pairwise(progress)) and progress[-1] > progress[0], progress

    open_intents = Counter(i.entity_type for i in log.open_intents(set_id))
    reddit_sandbox.set_faults(latency=0.0)
    seen = len(reddit_sandbox.requests())
    final = adsync(env, "sync", str(set_id), "--now", "--json")
    out, _ = final.communicate(timeout=300)
    assert final.returncode == 0, out

    calls = lookup_calls(reddit_sandbox.requests()[seen:])
    for kind in LIST_PATHS:
        assert calls[kind] <= math.ceil(open_intents[kind] / 1000), (kind, calls, open_intents)
    final_run = log.latest_run(set_id)
    assert final_run is not None and final_run["status"] == "succeeded", final_run
    audit = log.audit_rows(run_id=final_run["run_id"], limit=10_000)
    assert audited_lookups(audit) == Counter({kind: calls[kind] for kind in calls if calls[kind]})
    adoptions = [row for row in audit if row["operation"] == "adopt"]
    assert len(adoptions) <= sum(open_intents.values())
    assert all(row["response_summary"]["platform_id"] for row in adoptions)
    assert log.open_intents(set_id) == []
    assert [r for r in log.runs(set_id, limit=100) if r["status"] == "running"] == []

    state = reddit_sandbox.state.snapshot()
    by_id = {e["id"]: e for kind in ("campaigns", "ad_groups", "ads") for e in state[kind].values()}
    for kind in ("campaigns", "ad_groups", "ads"):
        names = Counter(e["name"] for e in live(state, kind))
        assert len(names) == CAMPAIGNS and set(names.values()) == {1}, kind
    for entity in entities(sets.load(set_id)):
        assert by_id[entity.sync.platform_id]["name"] == entity.name
    db.dispose()


async def test_open_intents_are_resolved_by_one_list_call_per_type_and_audited(
    database: Database, reddit_env: None, reddit_sandbox: Any
) -> None:
    """Every entity of a pushed set loses its id as a killed push would leave it (the
    creates reached the platform, an intent each is open): the next push adopts them all
    with one list call per entity type, audits each lookup and adoption, creates nothing."""
    sets = CampaignSetRepository(database)
    set_id = sets.import_set(
        generate_campaign_set(CAMPAIGNS, ad_groups=1, ads=1, name="Ids lost")
    ).campaign_set_id
    connect_sandbox_account(database)
    first = await push_async(database, set_id, run_id="created-them")
    assert first.failed == 0, first.errors
    pushed = sets.load(set_id)
    parents = {
        (EntityType.AD_GROUP, g.id): c.sync.platform_id
        for c in pushed.campaigns
        for g in c.ad_groups
    }
    parents |= {
        (EntityType.AD, ad.id): g.sync.platform_id
        for c in pushed.campaigns
        for g in c.ad_groups
        for ad in g.ads
    }
    intents = []
    for entity in entities(pushed):
        kind = entity_type_of(entity)
        assert entity.id is not None
        sets.update_entity(
            kind,
            entity.id,
            platform_id=None,
            platform_data=None,
            last_pushed_fingerprint=None,
            sync_status=SyncStatus.PENDING,
        )
        parent = AD_ACCOUNT_ID if kind is EntityType.CAMPAIGN else parents[(kind, entity.id)]
        intents.append(NewIntent(kind, entity.id, parent, entity.name))
    PushLedger(database).record_intents(set_id, "killed-run", intents)
    seen = len(reddit_sandbox.requests())

    again = await push_async(database, set_id, run_id="recovers")

    assert again.failed == 0, again.errors
    calls = lookup_calls(reddit_sandbox.requests()[seen:])
    assert calls == Counter({"campaign": 1, "ad_group": 1, "ad": 1})
    audit = SyncLogRepository(database).audit_rows(run_id="recovers", limit=10_000)
    assert audited_lookups(audit) == calls
    adopted = {
        row["entity_key"]: row["response_summary"]["platform_id"]
        for row in audit
        if row["operation"] == "adopt"
    }
    assert len(adopted) == 3 * CAMPAIGNS
    assert not [
        r
        for r in reddit_sandbox.requests()[seen:]
        if r["method"] == "POST" and r["path"].startswith("/api/v3/")
    ]
    assert SyncLogRepository(database).open_intents(set_id) == []
    before = {e.id: e.sync.platform_id for e in entities(pushed)}
    assert {e.id: e.sync.platform_id for e in entities(sets.load(set_id))} == before

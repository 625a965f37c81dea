"""Reconcile benchmark: `python bench/reconcile.py` (about half a minute).

An ad account with 10,000 entities (default 1,000 campaigns x 3 ad groups x 2 ads) that
adsync has pushed is reconciled over real HTTP against the Reddit sandbox. Seeding is
direct, not a 16,000-call push: campaigns through the sandbox's `/_admin/seed_campaigns`,
ad groups, posts and ads written into its state as our own mapping would have created them,
and the local ledger written to the store as a push would have left it.

Printed, each against its bar:
- list calls of a reconcile: exactly campaign pages + ad group pages + ad pages (no post
  reads: our posts are known from the ledger); beside it, one GET per entity;
- wall time of a first (cold) and a second (warm) reconcile;
- time spent planning and comparing the 10,000 entities: under 2 s;
- a third reconcile after 100 (paused) campaigns were activated "in Ads Manager": 100 pulled.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import tempfile
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import bindparam, update

from adsync_pipeline.domain.fingerprint import fingerprint, pushable_fields
from adsync_pipeline.domain.model import (
    Ad,
    AdGroup,
    Bidding,
    BidStrategy,
    Budget,
    BudgetType,
    CallToAction,
    Campaign,
    CampaignSet,
    EntityStatus,
    EntityType,
)
from adsync_pipeline.domain.reconcile import PUSHED
from adsync_pipeline.platforms.adapter import PushContext
from adsync_pipeline.platforms.reddit.adapter import COPY_FINGERPRINT, POST_ID, copy_fingerprint
from adsync_pipeline.platforms.reddit.mapping import ad_group_payload, ad_payload, post_payload
from adsync_pipeline.sandbox import reddit_api
from adsync_pipeline.sandbox.reddit import RunningSandbox, run_sandbox_in_thread
from adsync_pipeline.sandbox.reddit_state import (
    AD_ACCOUNT_ID,
    CLIENT_ID,
    CLIENT_SECRET,
    FUNDING_INSTRUMENT_ID,
    PIXEL_ID,
    PROFILE_ID,
    REFRESH_TOKEN,
)
from adsync_pipeline.security.vault import generate_key
from adsync_pipeline.store.campaign_sets import TABLES, CampaignSetRepository
from adsync_pipeline.store.db import Database
from adsync_pipeline.store.migrate import upgrade_database
from adsync_pipeline.sync.reconcile import reconcile_account

PAGE_SIZE = 1000
COMPARE_BAR_S = 2.0
ACTIVATED_ON_PLATFORM = 100
UNLIMITED = {
    "ads-campaign-management-read": 10**9,
    "ads-campaign-management-write": 10**9,
    "ads-creative-management": 10**9,
    "ads-business-manager": 10**9,
    "ads-funding-instruments": 10**9,
}


def local_set(campaign_names: list[str], groups: int, ads: int) -> CampaignSet:
    start = datetime(2026, 12, 1, tzinfo=UTC)
    return CampaignSet(
        name="Reconcile bench",
        platform="reddit",
        ad_account_id=AD_ACCOUNT_ID,
        campaigns=[
            Campaign(
                key=f"c{c:05d}",
                # The seeded campaigns' own name, objective and status.
                name=name,
                objective="awareness",
                status=EntityStatus.PAUSED,
                budget=Budget(BudgetType.DAILY, Decimal("60")),
                start_time=start,
                ad_groups=[
                    AdGroup(
                        key=f"g{g}",
                        name=f"{name} group {g}",
                        bidding=Bidding(BidStrategy.MANUAL_CPM, Decimal("5")),
                        ads=[
                            Ad(
                                key=f"a{a}",
                                name=f"{name} group {g} ad {a}",
                                headline=f"Offer {c}-{g}-{a}",
                                final_url=f"https://shop.example.com/{c}/{g}/{a}",
                                call_to_action=CallToAction.SHOP_NOW,
                            )
                            for a in range(ads)
                        ],
                    )
                    for g in range(groups)
                ],
            )
            for c, name in enumerate(campaign_names)
        ],
    )


def seed_platform(sandbox: RunningSandbox, campaigns: int, groups: int, ads: int) -> CampaignSet:
    """Campaigns via the admin endpoint; the rest into sandbox state, as a push makes them."""
    seeded = httpx.post(
        f"{sandbox.admin_url}/seed_campaigns", json={"count": campaigns}, timeout=60
    ).json()
    state = sandbox.state.snapshot()
    names = [state["campaigns"][cid]["name"] for cid in seeded["ids"]]
    doc = local_set(names, groups, ads)
    stamp = "2026-11-01T00:00:00.000000Z"
    bookkeeping = {"_previous_effective_status": "PAUSED", "_status_changed_at": 0.0}
    account_ctx = PushContext(AD_ACCOUNT_ID, FUNDING_INSTRUMENT_ID, PROFILE_ID, PIXEL_ID)
    with sandbox.state.writing() as data:
        for campaign, campaign_id in zip(doc.campaigns, seeded["ids"], strict=True):
            campaign.sync.platform_id = campaign_id
            data["campaigns"][campaign_id]["funding_instrument_id"] = FUNDING_INSTRUMENT_ID
            for group in campaign.ad_groups:
                ctx = replace(account_ctx, campaign=campaign)
                group_id = sandbox.state.new_numeric_id()
                group.sync.platform_id = group_id
                data["ad_groups"][group_id] = {
                    **reddit_api.DEFAULTS["ad_groups"],
                    **ad_group_payload(group, campaign, ctx),
                    "id": group_id,
                    "ad_account_id": AD_ACCOUNT_ID,
                    "campaign_objective_type": "IMPRESSIONS",
                    "is_campaign_budget_optimization": False,
                    "created_at": stamp,
                    "modified_at": stamp,
                    **bookkeeping,
                }
                ad_ctx = replace(ctx, ad_group=group)
                for ad in group.ads:
                    post_id = sandbox.state.new_post_id()
                    post = post_payload(ad)
                    data["posts"][post_id] = {
                        "allow_comments": True,
                        "body": None,
                        "content": [],
                        "is_richtext": False,
                        **post,
                        "id": post_id,
                        "profile_id": PROFILE_ID,
                        "post_url": f"https://www.reddit.com/comments/{post_id[3:]}",
                        "created_at": stamp,
                        "thumbnail_url": None,
                    }
                    ad_id = sandbox.state.new_numeric_id()
                    ad.sync.platform_id = ad_id
                    ad.sync.platform_data = {
                        POST_ID: post_id,
                        COPY_FINGERPRINT: copy_fingerprint(post),
                    }
                    data["ads"][ad_id] = {
                        **reddit_api.DEFAULTS["ads"],
                        **ad_payload(ad, ad_ctx, post_id),
                        "id": ad_id,
                        "ad_account_id": AD_ACCOUNT_ID,
                        "campaign_id": campaign_id,
                        "campaign_objective_type": "IMPRESSIONS",
                        "post_url": f"https://www.reddit.com/comments/{post_id[3:]}",
                        "profile_id": PROFILE_ID,
                        "created_at": stamp,
                        "modified_at": stamp,
                        **bookkeeping,
                    }
    return doc


def seed_store(db: Database, doc: CampaignSet) -> None:
    """The ledger as a push leaves it: ids, fingerprints, pushed fields, synced."""
    platform = {
        (t, path): e.sync
        for t, path, e in _walk(doc)  # the ids and post data assigned while seeding
    }
    set_id = CampaignSetRepository(db).import_set(doc).campaign_set_id
    stored = CampaignSetRepository(db).load(set_id)
    synced_at = datetime.now(UTC) - timedelta(minutes=1)
    params: dict[EntityType, list[dict[str, Any]]] = {t: [] for t in TABLES}
    for entity_type, path, entity in _walk(stored):
        sync = platform[(entity_type, path)]
        params[entity_type].append(
            {
                "_id": entity.id,
                "platform_id": sync.platform_id,
                "platform_data": {**(sync.platform_data or {}), PUSHED: pushable_fields(entity)},
                "last_pushed_fingerprint": fingerprint(entity),
                "sync_status": "synced",
                "last_synced_at": synced_at,
            }
        )
    with db.engine.begin() as conn:
        for entity_type, rows in params.items():
            if not rows:
                continue
            table = TABLES[entity_type]
            conn.execute(
                update(table)
                .where(table.c.id == bindparam("_id"))
                .values({name: bindparam(name) for name in rows[0] if name != "_id"}),
                rows,
            )


def _walk(doc: CampaignSet) -> list[tuple[EntityType, tuple[str, ...], Any]]:
    out: list[tuple[EntityType, tuple[str, ...], Any]] = []
    for campaign in doc.campaigns:
        out.append((EntityType.CAMPAIGN, (campaign.key,), campaign))
        for group in campaign.ad_groups:
            out.append((EntityType.AD_GROUP, (campaign.key, group.key), group))
            for ad in group.ads:
                out.append((EntityType.AD, (campaign.key, group.key, ad.key), ad))
    return out


def connect(sandbox: RunningSandbox, db_url: str) -> None:
    os.environ.update(
        {
            "ADSYNC_DATABASE_URL": db_url,
            "ADSYNC_REDDIT_API_URL": sandbox.api_url,
            "ADSYNC_REDDIT_AUTH_URL": sandbox.auth_url,
            "ADSYNC_REDDIT_CLIENT_ID": CLIENT_ID,
            "ADSYNC_REDDIT_CLIENT_SECRET": CLIENT_SECRET,
            "ADSYNC_ENCRYPTION_KEY": os.environ.get("ADSYNC_ENCRYPTION_KEY") or generate_key(),
        }
    )
    from click.testing import CliRunner

    from adsync_pipeline.cli import _register
    from adsync_pipeline.cli.base import cli

    _register()
    args = ["accounts", "add", "reddit", "--account-id", AD_ACCOUNT_ID]
    outcome = CliRunner().invoke(cli, [*args, "--refresh-token", REFRESH_TOKEN])
    if outcome.exit_code != 0:
        raise SystemExit(f"could not connect the sandbox account: {outcome.output}")


def api_gets(sandbox: RunningSandbox) -> list[dict[str, Any]]:
    return [
        r for r in sandbox.requests() if r["path"].startswith("/api/v3") and r["method"] == "GET"
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--campaigns", type=int, default=1000)
    parser.add_argument("--groups", type=int, default=3)
    parser.add_argument("--ads", type=int, default=2)
    args = parser.parse_args()
    groups = args.campaigns * args.groups
    ads = groups * args.ads
    entities = args.campaigns + groups + ads
    pages = sum(math.ceil(n / PAGE_SIZE) for n in (args.campaigns, groups, ads))
    failures: list[str] = []

    workdir = Path(tempfile.mkdtemp(prefix="adsync-bench-"))
    db_url = f"sqlite:///{workdir / 'bench.db'}"
    upgrade_database(db_url)
    db = Database.from_url(db_url)
    with run_sandbox_in_thread(rate_limits=UNLIMITED) as sandbox:
        started = time.perf_counter()
        doc = seed_platform(sandbox, args.campaigns, args.groups, args.ads)
        connect(sandbox, db_url)
        seed_store(db, doc)
        print(
            f"account: {args.campaigns} campaigns x {args.groups} ad groups x {args.ads} ads "
            f"= {entities} entities; seeded in {time.perf_counter() - started:.1f} s"
        )
        print(
            f"one GET per entity would be {entities} calls (+{ads} post reads); "
            f"list pages at page.size={PAGE_SIZE}: {pages}"
        )
        runs = [("cold (first snapshot)", None), ("warm (unchanged)", None)]
        edited = ACTIVATED_ON_PLATFORM
        runs.append((f"after {edited} campaigns activated on Reddit", edited))
        for label, activated in runs:
            if activated:
                with sandbox.state.writing() as data:
                    for campaign in doc.campaigns[:activated]:
                        data["campaigns"][campaign.sync.platform_id]["configured_status"] = "ACTIVE"
            sandbox.sandbox.clear_requests()
            wall = time.perf_counter()
            result = reconcile_account(db, AD_ACCOUNT_ID)
            wall = time.perf_counter() - wall
            gets = api_gets(sandbox)
            lists = result.list_calls
            print(
                f"{label}: {lists} list calls + {result.other_calls} other "
                f"({len(gets)} GETs seen by the sandbox) vs {entities} one-GET-per-entity; "
                f"wall {wall:.2f} s (snapshot {result.snapshot_s:.2f} s); planning+comparing "
                f"{result.fetched} entities "
                f"{result.compare_s:.3f} s; pulled {result.pulled}, conflicts {result.conflicts}"
            )
            if lists != pages or result.other_calls:
                failures.append(f"{label}: {lists}+{result.other_calls} calls, expected {pages}")
            if result.compare_s >= COMPARE_BAR_S:
                failures.append(f"{label}: comparing took {result.compare_s:.2f} s")
            expected_pulls = activated or 0
            if (result.pulled, result.conflicts) != (expected_pulls, 0):
                failures.append(f"{label}: pulled {result.pulled}, expected {expected_pulls}")
    db.dispose()
    print(f"bar: calls == {pages} pages exactly; planning+comparing < {COMPARE_BAR_S} s")
    print("FAIL: " + "; ".join(failures) if failures else "PASS")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())

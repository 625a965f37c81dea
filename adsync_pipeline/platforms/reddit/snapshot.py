"""Reddit snapshots: a whole ad account in one pass over the list endpoints.

Campaigns, ad groups and ads come from their account-level list endpoints at
`page.size=1000`, so an account costs (campaign pages + ad group pages + ad pages) calls.

Ad copy lives on posts. Reddit post copy is immutable (new copy means a new post and a new
`post_id` on the ad), so a post once read never needs reading again: posts are fetched only
for ads whose `post_id` is not in `known` (the posts of the previous snapshot, plus the ones
we created ourselves), one GET each. The profile's post list is not used: the spec marks it
legacy, caps it at 1,000 posts and 100 per page, and it lists organic posts too, so on a
large account it would cost more calls than it saves and still miss posts.

Budgets: adsync keeps a campaign's budget as shares on its ad groups (see `mapping.py`), so a
campaign's budget (and schedule) is rebuilt from its live ad groups: from our own only, when
the caller names them, since an ad group added in Ads Manager holds no share of ours.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import AsyncIterator, Callable, Collection, Iterable, Mapping
from datetime import datetime
from typing import Any

from adsync_pipeline.domain.fingerprint import canonical_value
from adsync_pipeline.domain.model import Ad, CallToAction, EntityType
from adsync_pipeline.platforms.poller import AccountSnapshot, Fields, SnapshotEntity
from adsync_pipeline.platforms.reddit.adapter import COPY_FINGERPRINT, POST_ID, copy_fingerprint
from adsync_pipeline.platforms.reddit.mapping import (
    MappingError,
    ad_fields_from_reddit,
    ad_group_fields_from_reddit,
    campaign_budget_from_reddit,
    campaign_fields_from_reddit,
    post_payload,
)
from adsync_pipeline.platforms.reddit.services import RedditAds

PAGE_SIZE = 1000
DELETED = "DELETED"

# What a person can change in Ads Manager and we push; immutable fields (objective,
# optimization goal) and fields Reddit cannot tell back (currency, match types) are left out.
COMPARED: dict[EntityType, tuple[str, ...]] = {
    EntityType.CAMPAIGN: (
        "name",
        "status",
        "budget_type",
        "budget_amount",
        "start_time",
        "end_time",
    ),
    EntityType.AD_GROUP: (
        "name",
        "status",
        "bid_strategy",
        "bid_amount",
        "subreddits",
        "interests",
        "locations",
        "devices",
    ),
    EntityType.AD: (
        "name",
        "status",
        "headline",
        "description",
        "final_url",
        "display_url",
        "call_to_action",
    ),
}
_AD_FIELDS_WITHOUT_POST = ("name", "status")


class RedditPoller:
    platform = "reddit"

    def __init__(self, ads: RedditAds, *, concurrency: int = 8) -> None:
        self.ads = ads
        self.concurrency = concurrency

    async def snapshot_account(
        self,
        account_id: str,
        *,
        known: Mapping[str, Fields] | None = None,
        own_ad_groups: Collection[str] | None = None,
    ) -> AccountSnapshot:
        snapshot = AccountSnapshot(platform=self.platform, account_id=account_id)
        campaigns = await self._list(snapshot, "campaigns", self.ads.list_campaigns(account_id))
        groups = await self._list(snapshot, "ad_groups", self.ads.list_ad_groups(account_id))
        ads = await self._list(snapshot, "ads", self.ads.list_ads(account_id))
        posts = await self._posts(snapshot, ads, known or {})
        groups_by_campaign: dict[str, list[Fields]] = defaultdict(list)
        for group in groups:
            if own_ad_groups is None or str(group.get("id")) in own_ad_groups:
                groups_by_campaign[str(group.get("campaign_id"))].append(group)
        snapshot.entities = {
            EntityType.CAMPAIGN: [
                _campaign(c, groups_by_campaign.get(str(c["id"]), [])) for c in campaigns
            ],
            EntityType.AD_GROUP: [_ad_group(g) for g in groups],
            EntityType.AD: [_ad(ad, posts.get(str(ad.get("post_id")))) for ad in ads],
        }
        return snapshot

    def known_creatives(
        self, previous: Iterable[Fields], ledger: Iterable[tuple[Fields | None, Fields]]
    ) -> dict[str, Fields]:
        known: dict[str, Fields] = {}
        for raw in previous:
            post = raw.get("post")
            if post and post.get("id"):
                known[str(post["id"])] = post
        for platform_data, pushed in ledger:
            post_id = (platform_data or {}).get(POST_ID)
            if post_id is None or post_id in known:
                continue
            post = _post_as_pushed(pushed)
            # The adapter's copy fingerprint proves this copy is the one the post carries.
            if post is not None and copy_fingerprint(post) == platform_data.get(COPY_FINGERPRINT):
                known[post_id] = {**post, "id": post_id}
        return known

    def comparable(self, entity_type: EntityType, fields: Fields) -> Fields:
        return comparable(entity_type, fields)

    async def _list(
        self, snapshot: AccountSnapshot, kind: str, items: AsyncIterator[Fields]
    ) -> list[Fields]:
        before = self.ads.client.api_calls
        listed = [item async for item in items]
        snapshot.calls[kind] = self.ads.client.api_calls - before
        return listed

    async def _posts(
        self, snapshot: AccountSnapshot, ads: list[Fields], known: Mapping[str, Fields]
    ) -> dict[str, Fields]:
        wanted = {str(ad["post_id"]) for ad in ads if ad.get("post_id")}
        posts = {post_id: dict(known[post_id]) for post_id in wanted & set(known)}
        missing = sorted(wanted - set(posts))
        semaphore = asyncio.Semaphore(self.concurrency)

        async def fetch(post_id: str) -> None:
            async with semaphore:
                posts[post_id] = await self.ads.get_post(post_id)

        before = self.ads.client.api_calls
        await asyncio.gather(*(fetch(post_id) for post_id in missing))
        snapshot.calls["posts"] = self.ads.client.api_calls - before
        return posts


def comparable(entity_type: EntityType, fields: Fields) -> Fields:
    """Our canonical fields as Reddit shows them back (see `PlatformPoller.comparable`)."""
    out = {
        name: shown(fields[name]) if shown else fields[name]
        for name, shown in _SHOWN.get(entity_type, ())
        if name in fields
    }
    if out.get("bid_strategy") == "automatic":
        out["bid_amount"] = None
    return out


def ledger_facts(entity_type: EntityType, raw: Fields) -> Fields:
    """What the push adapter records of an ad's platform twin, as the snapshot shows it:
    after pulling new copy, the ledger must point at the post that carries it, or the next
    push would make yet another post with the same copy."""
    post = raw.get("post") if entity_type is EntityType.AD else None
    if not post or not raw.get("post_id"):
        return {}
    return {POST_ID: str(raw["post_id"]), COPY_FINGERPRINT: copy_fingerprint(post)}


def _status(value: Any) -> str:
    # Only an active entity delivers; every other status is pushed as PAUSED.
    return "active" if value == "active" else "paused"


def _unordered(value: Any) -> list[Any]:
    return sorted(set(value or ()))


def _stripped(value: Any) -> Any:
    return value.strip() if isinstance(value, str) else value


def _text(value: Any) -> str:
    return value or ""


_TRANSFORMS: dict[str, Callable[[Any], Any]] = {
    "status": _status,
    "subreddits": _unordered,
    "interests": _unordered,
    "locations": _unordered,
    "devices": _unordered,
    "headline": _stripped,
    "description": _text,
}
_SHOWN: dict[EntityType, tuple[tuple[str, Callable[[Any], Any] | None], ...]] = {
    entity_type: tuple((name, _TRANSFORMS.get(name)) for name in names)
    for entity_type, names in COMPARED.items()
}


def _campaign(data: Fields, groups: list[Fields]) -> SnapshotEntity:
    mapped = campaign_fields_from_reddit(data)
    live = [g for g in groups if g.get("configured_status") != DELETED]
    budget = campaign_budget_from_reddit(live)
    if budget is not None:
        mapped["budget_type"] = canonical_value(budget.type)
        mapped["budget_amount"] = canonical_value(budget.amount)
    for name in ("start_time", "end_time"):
        moments = {_moment(g.get(name)) for g in live}
        if live and len(moments) == 1:
            mapped[name] = moments.pop()
    return _entity(EntityType.CAMPAIGN, data, None, mapped)


def _ad_group(data: Fields) -> SnapshotEntity:
    mapped = ad_group_fields_from_reddit(data)
    return _entity(EntityType.AD_GROUP, data, data.get("campaign_id"), mapped)


def _ad(data: Fields, post: Fields | None) -> SnapshotEntity:
    if post is None:
        # No post to read the copy from: only the ad's own fields can be compared.
        full = ad_fields_from_reddit(data, {})
        mapped = {name: full[name] for name in _AD_FIELDS_WITHOUT_POST}
    else:
        mapped = ad_fields_from_reddit(data, post)
    raw = {**data, "post": post}
    return _entity(EntityType.AD, raw, data.get("ad_group_id"), mapped)


def _entity(entity_type: EntityType, raw: Fields, parent: Any, mapped: Fields) -> SnapshotEntity:
    return SnapshotEntity(
        entity_type=entity_type,
        platform_id=str(raw["id"]),
        parent_platform_id=str(parent) if parent is not None else None,
        mapped=mapped,
        raw=raw,
        effective_status=raw.get("effective_status"),
        rejection_reason=raw.get("rejection_reason"),
        deleted=raw.get("configured_status") == DELETED,
    )


def _post_as_pushed(pushed: Fields) -> Fields | None:
    """The Create Post body our push sent for these ad fields: post copy is immutable, so it
    is still the post's copy."""
    try:
        ad = Ad(
            key="",
            name=pushed["name"],
            headline=pushed["headline"],
            final_url=pushed["final_url"],
            description=pushed.get("description") or "",
            display_url=pushed.get("display_url"),
            call_to_action=CallToAction(pushed["call_to_action"]),
        )
        return post_payload(ad)
    except (KeyError, ValueError, MappingError):
        return None


def _moment(value: Any) -> str | None:
    if not value:
        return None
    return canonical_value(datetime.fromisoformat(str(value).replace("Z", "+00:00")))

"""An in-process platform for development and narrow tests of the push engine.

It keeps the "platform side" in dicts, so creates, updates, statuses and name lookups
behave like a real platform's, and it can be slow or fail on demand: retryable 503s at
`failure_rate`, permanent 400s for entities named in `reject_names`, and creates that are
committed but answered with `CreateOutcomeUnknown` at `lost_create_rate`.
"""

from __future__ import annotations

import asyncio
import random
from collections import Counter
from collections.abc import Collection, Iterable, Sequence
from typing import Any

from adsync_pipeline.domain.fingerprint import pushable_fields
from adsync_pipeline.domain.model import Ad, AdGroup, Campaign, EntityStatus, EntityType, Keyword
from adsync_pipeline.platforms.adapter import (
    AdapterStats,
    ChildLookup,
    PlatformResult,
    PushContext,
)
from adsync_pipeline.platforms.errors import (
    CreateOutcomeUnknown,
    ErrorClass,
    PlatformError,
)

Record = dict[str, Any]
Entity = Campaign | AdGroup | Ad

ACTIVE, PAUSED, DELETED = "ACTIVE", "PAUSED", "DELETED"


class FakeAdapter:
    def __init__(
        self,
        latency: float = 0.0,
        failure_rate: float = 0.0,
        seed: int | None = None,
        reject_names: Iterable[str] = (),
        lost_create_rate: float = 0.0,
    ) -> None:
        self.latency = latency
        self.failure_rate = failure_rate
        self.reject_names = frozenset(reject_names)
        self.lost_create_rate = lost_create_rate
        self._rng = random.Random(seed)
        self.records: dict[EntityType, dict[str, Record]] = {
            EntityType.CAMPAIGN: {},
            EntityType.AD_GROUP: {},
            EntityType.AD: {},
        }
        # Reddit keeps keywords inside the ad group's targeting: one list per ad group.
        self.keywords: dict[str, list[str]] = {}
        self.calls: Counter[str] = Counter()

    # --- the protocol ---------------------------------------------------------------------

    async def probe(self, ctx: PushContext) -> None:
        await self._enter("probe", None)

    def stats(self) -> AdapterStats:
        return AdapterStats(api_calls=sum(self.calls.values()))

    async def create_campaign(self, campaign: Campaign, ctx: PushContext) -> PlatformResult:
        return await self._create(EntityType.CAMPAIGN, campaign, ctx.ad_account_id)

    async def update_campaign(self, campaign: Campaign, ctx: PushContext) -> PlatformResult:
        return await self._update(EntityType.CAMPAIGN, campaign)

    async def pause_campaign(self, campaign: Campaign, ctx: PushContext) -> PlatformResult:
        return await self._set_status(EntityType.CAMPAIGN, campaign, "pause", PAUSED)

    async def resume_campaign(self, campaign: Campaign, ctx: PushContext) -> PlatformResult:
        return await self._set_status(EntityType.CAMPAIGN, campaign, "resume", ACTIVE)

    async def delete_campaign(self, campaign: Campaign, ctx: PushContext) -> PlatformResult:
        return await self._set_status(EntityType.CAMPAIGN, campaign, "delete", DELETED)

    async def create_ad_group(self, ad_group: AdGroup, ctx: PushContext) -> PlatformResult:
        return await self._create(EntityType.AD_GROUP, ad_group, ctx.campaign_id)

    async def update_ad_group(self, ad_group: AdGroup, ctx: PushContext) -> PlatformResult:
        return await self._update(EntityType.AD_GROUP, ad_group)

    async def pause_ad_group(self, ad_group: AdGroup, ctx: PushContext) -> PlatformResult:
        return await self._set_status(EntityType.AD_GROUP, ad_group, "pause", PAUSED)

    async def resume_ad_group(self, ad_group: AdGroup, ctx: PushContext) -> PlatformResult:
        return await self._set_status(EntityType.AD_GROUP, ad_group, "resume", ACTIVE)

    async def delete_ad_group(self, ad_group: AdGroup, ctx: PushContext) -> PlatformResult:
        return await self._set_status(EntityType.AD_GROUP, ad_group, "delete", DELETED)

    async def create_ad(self, ad: Ad, ctx: PushContext) -> PlatformResult:
        return await self._create(EntityType.AD, ad, ctx.ad_group_id)

    async def update_ad(self, ad: Ad, ctx: PushContext) -> PlatformResult:
        return await self._update(EntityType.AD, ad)

    async def pause_ad(self, ad: Ad, ctx: PushContext) -> PlatformResult:
        return await self._set_status(EntityType.AD, ad, "pause", PAUSED)

    async def resume_ad(self, ad: Ad, ctx: PushContext) -> PlatformResult:
        return await self._set_status(EntityType.AD, ad, "resume", ACTIVE)

    async def delete_ad(self, ad: Ad, ctx: PushContext) -> PlatformResult:
        return await self._set_status(EntityType.AD, ad, "delete", DELETED)

    async def sync_keywords(
        self, ad_group: AdGroup, keywords: list[Keyword], ctx: PushContext
    ) -> PlatformResult:
        texts = [keyword.text for keyword in keywords]
        await self._enter("sync_keywords", *texts)
        group_id = self._live(EntityType.AD_GROUP, ad_group.sync.platform_id)["id"]
        self.keywords[group_id] = texts
        return PlatformResult(group_id, {"keywords": list(texts)}, {"keywords": list(texts)})

    async def find_child_by_name(
        self,
        entity_type: EntityType,
        parent_platform_id: str,
        name: str,
        *,
        exclude: Collection[str] = frozenset(),
    ) -> PlatformResult | None:
        await self._enter(f"find_{entity_type.value}", None)
        for record in self.records[entity_type].values():
            if (
                record["parent_id"] == parent_platform_id
                and record["name"] == name
                and record["configured_status"] != DELETED
                and record["id"] not in exclude
            ):
                return _result(record)
        return None

    async def find_children_by_name(
        self,
        entity_type: EntityType,
        lookups: Sequence[ChildLookup],
        *,
        exclude: Collection[str] = frozenset(),
    ) -> list[PlatformResult | None]:
        await self._enter(f"find_{entity_type.value}s", None)
        taken = set(exclude)
        answers: list[PlatformResult | None] = []
        for lookup in lookups:
            match = next(
                (
                    record
                    for record in self.records[entity_type].values()
                    if record["parent_id"] == lookup.parent_platform_id
                    and record["name"] == lookup.name
                    and record["configured_status"] != DELETED
                    and record["id"] not in taken
                ),
                None,
            )
            if match is not None:
                taken.add(match["id"])
            answers.append(None if match is None else _result(match))
        return answers

    # --- helpers ----------------------------------------------------------------------------

    def live(self, entity_type: EntityType) -> list[Record]:
        """The entities of a type that are not deleted, as the platform stores them."""
        return [
            record
            for record in self.records[entity_type].values()
            if record["configured_status"] != DELETED
        ]

    async def _create(
        self, entity_type: EntityType, entity: Entity, parent_id: str | None
    ) -> PlatformResult:
        await self._enter(f"create_{entity_type.value}", entity.name)
        if parent_id is None:
            raise PlatformError(f"400: {entity_type.value} needs its parent's platform id")
        if entity_type is not EntityType.CAMPAIGN:
            self._live(_PARENT_TYPE[entity_type], parent_id)
        record = {
            "id": self._new_id(),
            "parent_id": parent_id,
            "configured_status": ACTIVE if entity.status is EntityStatus.ACTIVE else PAUSED,
            **pushable_fields(entity),
        }
        self.records[entity_type][record["id"]] = record
        if self._rng.random() < self.lost_create_rate:
            raise CreateOutcomeUnknown("502 Bad Gateway after the create was sent (injected)")
        return _result(record)

    async def _update(self, entity_type: EntityType, entity: Entity) -> PlatformResult:
        await self._enter(f"update_{entity_type.value}", entity.name)
        record = self._live(entity_type, entity.sync.platform_id)
        record.update(pushable_fields(entity))
        record["configured_status"] = ACTIVE if entity.status is EntityStatus.ACTIVE else PAUSED
        return _result(record)

    async def _set_status(
        self, entity_type: EntityType, entity: Entity, verb: str, status: str
    ) -> PlatformResult:
        await self._enter(f"{verb}_{entity_type.value}", entity.name)
        record = self._live(entity_type, entity.sync.platform_id)
        record["configured_status"] = status
        return _result(record)

    async def _enter(self, operation: str, *names: str | None) -> None:
        """Count the call, wait the latency, then fail it if asked to: a rejected name is a
        permanent validation error, a random failure a retryable outage."""
        self.calls[operation] += 1
        if self.latency:
            await asyncio.sleep(self.latency)
        rejected = [name for name in names if name in self.reject_names]
        if rejected:
            raise PlatformError(
                f"400 Bad Request: {operation} rejected",
                classification=ErrorClass.PERMANENT,
                field_errors=[("name", f"{name!r} is not allowed") for name in rejected],
            )
        if self._rng.random() < self.failure_rate:
            raise PlatformError(
                f"503 Service Unavailable: {operation} (injected)",
                classification=ErrorClass.RETRYABLE,
            )

    def _live(self, entity_type: EntityType, platform_id: str | None) -> Record:
        record = self.records[entity_type].get(platform_id or "")
        if record is None or record["configured_status"] == DELETED:
            raise PlatformError(f"404 Not Found: {entity_type.value} {platform_id}")
        return record

    def _new_id(self) -> str:
        # Reddit's campaign, ad group and ad ids are 18-digit numeric strings.
        while True:
            candidate = str(self._rng.randrange(10**17, 10**18))
            if not any(candidate in records for records in self.records.values()):
                return candidate


_PARENT_TYPE = {EntityType.AD_GROUP: EntityType.CAMPAIGN, EntityType.AD: EntityType.AD_GROUP}


def _result(record: Record) -> PlatformResult:
    return PlatformResult(record["id"], dict(record), {"data": dict(record)})

"""Apply a campaign set to its platform: plan (pure), then apply (all effects).

Order and safety rules (ARCHITECTURE.md, principles 2-6):
- parents before children: an op starts once its parent's op has settled; everything that
  is ready runs concurrently, bounded;
- an intent row is committed before every create (the creates under one parent share a
  commit), and each platform id is committed right after its call, before any call under
  it, so a killed process never loses an id;
- a create whose outcome is unknown is resolved by looking the entity up by name under its
  parent, at once and again at the start of the next push: never a blind second create;
- every entity ends synced, failed (with its error and next attempt) or skipped (why).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import defaultdict
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from adsync_pipeline.domain.fingerprint import pushable_fields
from adsync_pipeline.domain.model import (
    Ad,
    AdGroup,
    Campaign,
    CampaignSet,
    EntityStatus,
    EntityType,
    Keyword,
    SetStatus,
    SyncStatus,
    entity_type_of,
)
from adsync_pipeline.domain.pause import (
    PAUSED_FROM,
    paused_from,
    resume_status,
    with_paused_from,
    without_paused_from,
)
from adsync_pipeline.domain.plan import (
    MAX_ATTEMPTS,
    REASON_BLOCKED,
    OpKind,
    Plan,
    PlannedOp,
    make_plan,
    make_status_plan,
)
from adsync_pipeline.domain.pulled import settled_by_push
from adsync_pipeline.domain.reconcile import PUSHED
from adsync_pipeline.platforms.adapter import (
    CampaignSetPlatformAdapter,
    ChildLookup,
    PlatformResult,
    PushContext,
)
from adsync_pipeline.platforms.errors import (
    CreateOutcomeUnknown,
    ErrorClass,
    PlatformError,
    classify,
)
from adsync_pipeline.store.campaign_sets import CampaignSetRepository
from adsync_pipeline.store.db import Database
from adsync_pipeline.store.events import COMPLETE, JOB_FAILED
from adsync_pipeline.store.models import utcnow
from adsync_pipeline.store.push_ledger import EventRow, NewIntent, OutcomeWrite, PushLedger
from adsync_pipeline.store.push_lock import PushInProgress, push_lock
from adsync_pipeline.store.sync_log import AuditEntry, OpenIntent, SyncLogRepository
from adsync_pipeline.sync import alerts
from adsync_pipeline.sync.alerts import PushAlert
from adsync_pipeline.sync.audit import AuditRecorder, entity_context
from adsync_pipeline.sync.breaker import BreakerPolicy, CircuitBreaker, Gate
from adsync_pipeline.sync.ledger_writer import LedgerWriter
from adsync_pipeline.sync.results import FAILED, EntityOutcome, PushResult, describe_failure
from adsync_pipeline.sync.retry_policy import next_attempt_at, retry_base_from_env

logger = logging.getLogger(__name__)

# What a status run does, as the run's row names it ("push" for a push).
OPERATIONS = {EntityStatus.PAUSED: "pause", EntityStatus.ACTIVE: "resume"}

KeyPath = tuple[str, ...]
Parent = tuple[EntityType, KeyPath] | None
AnyEntity = Campaign | AdGroup | Ad | Keyword
Index = dict[tuple[EntityType, KeyPath], AnyEntity]
# (entities done, entities in the plan, the outcome just recorded)
ProgressListener = Callable[[int, int, EntityOutcome], None]

_PARENT_TYPE = {
    EntityType.AD_GROUP: EntityType.CAMPAIGN,
    EntityType.AD: EntityType.AD_GROUP,
    EntityType.KEYWORD: EntityType.AD_GROUP,
}


@dataclass(frozen=True)
class PushOptions:
    concurrency: int = 8
    force: bool = False  # push failed entities even if their next attempt is not due
    include_given_up: bool = False  # `adsync retry`: try entities that gave up once more
    retry_base: timedelta = field(default_factory=retry_base_from_env)
    breaker: BreakerPolicy = field(default_factory=BreakerPolicy)


@dataclass(frozen=True)
class AccountResources:
    """The ad account as the store knows it; `id` is our row id (audit, breaker)."""

    id: int
    platform: str
    platform_account_id: str
    funding_instrument_id: str | None
    profile_id: str | None
    pixel_id: str | None


def key_of(path: KeyPath) -> str:
    return "/".join(path)


def index_entities(campaign_set: CampaignSet) -> Index:
    """Entities by (type, key path): an ad and a keyword may share a key in one group."""
    index: Index = {}
    for campaign in campaign_set.campaigns:
        index[(EntityType.CAMPAIGN, (campaign.key,))] = campaign
        for group in campaign.ad_groups:
            group_path = (campaign.key, group.key)
            index[(EntityType.AD_GROUP, group_path)] = group
            for ad in group.ads:
                index[(EntityType.AD, (*group_path, ad.key))] = ad
            for keyword in group.keywords:
                index[(EntityType.KEYWORD, (*group_path, keyword.key))] = keyword
    return index


def parent_of(op: PlannedOp) -> tuple[EntityType, KeyPath] | None:
    if op.parent_key_path is None:
        return None
    return _PARENT_TYPE[op.entity_type], op.parent_key_path


def ancestors(op: PlannedOp) -> list[tuple[EntityType, KeyPath]]:
    chain = []
    parent = parent_of(op)
    while parent is not None:
        chain.append(parent)
        parent_type, path = parent
        parent = (EntityType.CAMPAIGN, path[:1]) if parent_type is EntityType.AD_GROUP else None
    return chain


def final_set_status(
    campaign_set: CampaignSet, result: PushResult
) -> tuple[SetStatus | None, SyncStatus]:
    """The set's status after a push; None leaves it as it is (an archived set stays so)."""
    sync_status = (
        SyncStatus.FAILED
        if result.failed
        else (SyncStatus.PENDING if result.skipped else SyncStatus.SYNCED)
    )
    if campaign_set.status is SetStatus.ARCHIVED:
        return None, sync_status
    if result.failed:
        return SetStatus.ERROR, sync_status
    live = [c for c in campaign_set.campaigns if not c.sync.removed]
    paused = live and all(c.status is EntityStatus.PAUSED for c in live)
    return (SetStatus.PAUSED if paused else SetStatus.ACTIVE), sync_status


class PushEngine:
    def __init__(
        self,
        db: Database,
        adapter: CampaignSetPlatformAdapter,
        account: AccountResources,
        *,
        run_id: str,
        trigger: str = "manual",
        request_id: int | None = None,
        options: PushOptions | None = None,
        clock: Callable[[], datetime] = utcnow,
        on_progress: ProgressListener | None = None,
        audit: AuditRecorder | None = None,
    ) -> None:
        self.db = db
        self.sets = CampaignSetRepository(db)
        self.log = SyncLogRepository(db)
        self.ledger = PushLedger(db)
        self.adapter = adapter
        self.account = account
        self.run_id = run_id
        self.trigger = trigger
        self.request_id = request_id
        self.options = options or PushOptions()
        self.clock = clock
        self.on_progress = on_progress
        self.audit = audit
        self.breaker = CircuitBreaker(self.log, account.platform, account.id, self.options.breaker)
        self._set_id = 0
        self._total = 0
        self._abort_reason: str | None = None
        self._written_groups: set[KeyPath] = set()
        # Entities whose earlier create has an unknown outcome that could not be looked up.
        self._unresolved: dict[tuple[EntityType, int], str] = {}
        # Entities whose create a killed push left unfinished, and not on the platform: an
        # earlier attempt may have left a piece behind (on Reddit, the ad's post) to reuse.
        self._cut_short: set[tuple[EntityType, int]] = set()
        # Platform ids this push's lookups adopted, not all committed yet.
        self._claimed: set[str] = set()
        # Create intents committed by this push, by entity, until their outcome settles them.
        self._intents: dict[tuple[EntityType, int], int] = {}
        self._events: list[EventRow] = []
        # The intents of the creates under each parent, committed once for all of them.
        self._intent_batches: dict[Parent, asyncio.Future[None]] = {}
        self._writer = LedgerWriter(self.ledger)
        self._operation = "push"
        # True while the set's status says `syncing` because of this push.
        self._left_syncing = False
        # Alerts found while pushing, raised once the run's outcome is written.
        self._alerts: list[PushAlert] = []
        # What a pause (PAUSED) or resume (ACTIVE) run sets; None for a push.
        self._status_target: EntityStatus | None = None

    async def push(self, set_id: int) -> PushResult:
        """Make the platform match the local set: creates, updates, deletes."""
        return await self._run(set_id, None)

    async def change_status(self, set_id: int, target: EntityStatus) -> PushResult:
        """Pause or resume every campaign of the set, locally and on the platform."""
        return await self._run(set_id, target)

    async def _run(self, set_id: int, target: EntityStatus | None) -> PushResult:
        started = time.monotonic()
        self._set_id = set_id
        result = PushResult(run_id=self.run_id, campaign_set_id=set_id)
        self._operation = "push" if target is None else OPERATIONS[target]
        run_row = self.log.start_run(self.run_id, set_id, self.account.id, self.trigger)
        crashed = False
        try:
            with push_lock(self.db, set_id):
                self._fail_runs_cut_short(set_id, run_row)
                await self._push_locked(set_id, target, result)
        except PushInProgress as busy:
            result.refused = str(busy)
        except BaseException as exc:
            # Not an entity's failure (those are data): the push itself stopped. Recorded as
            # a failed run with its cause, then raised to the caller.
            crashed = True
            result.error = describe_failure(exc)
            raise
        finally:
            self._collect_stats(result)
            result.duration_s = round(time.monotonic() - started, 3)
            self._finish(run_row, result, crashed=crashed)
            self._writer.close()
        return result

    def _fail_runs_cut_short(self, set_id: int, run_row: int) -> None:
        """Runs of this set still `running` while we hold its lock died with their process."""
        self.log.fail_unfinished_runs(
            set_id,
            run_row,
            f"its process ended before the push finished (killed or crashed); run "
            f"{self.run_id} took over",
        )

    async def _push_locked(
        self, set_id: int, target: EntityStatus | None, result: PushResult
    ) -> None:
        if not await self._admitted(result):
            return
        campaign_set = self.sets.load(set_id)
        if await self._resolve_open_intents(campaign_set):
            campaign_set = self.sets.load(set_id)
        if campaign_set.status is not SetStatus.ARCHIVED:
            self.sets.set_status(set_id, status=SetStatus.SYNCING)
            self._left_syncing = True
        self._status_target = target
        if target is EntityStatus.PAUSED:
            self._keep_authored_statuses(campaign_set)
        plan = (
            make_status_plan(campaign_set, target)
            if target is not None
            else make_plan(
                campaign_set,
                self.clock(),
                force=self.options.force,
                include_given_up=self.options.include_given_up,
            )
        )
        self._total = len(plan.ops)
        self._event("sync-start", {"total": len(plan.ops), "writes": len(plan.writes)})
        # Published at once: progress readers take the total from it.
        await self._writer.commit(OutcomeWrite(events=self._drain_events()))
        await self._apply(plan, index_entities(campaign_set), result)
        if target is EntityStatus.ACTIVE:
            self._forget_resumed(campaign_set)
        status, sync_status = final_set_status(campaign_set, result)
        self.sets.set_status(
            set_id,
            status=status,
            sync_status=sync_status,
            last_synced_at=None if result.failed else self.clock(),
        )
        self._left_syncing = False

    # Pause and resume: the authored status ------------------------------------------

    def _keep_authored_statuses(self, campaign_set: CampaignSet) -> None:
        """Before pausing: each campaign's own status, which resume restores. A campaign
        paused again keeps the status recorded by the first pause."""
        updates: list[tuple[int, dict[str, Any]]] = []
        for campaign in campaign_set.campaigns:
            if campaign.sync.removed or paused_from(campaign) is not None:
                continue
            assert campaign.id is not None
            campaign.sync.platform_data = with_paused_from(
                campaign.sync.platform_data, campaign.status
            )
            updates.append((campaign.id, {"platform_data": campaign.sync.platform_data}))
        if updates:
            self.sets.update_entities({EntityType.CAMPAIGN: updates})

    def _forget_resumed(self, campaign_set: CampaignSet) -> None:
        """After resuming: the record goes from each campaign back at its authored status
        (one whose resume failed keeps it, for the next resume)."""
        updates: list[tuple[int, dict[str, Any]]] = []
        for campaign in campaign_set.campaigns:
            if paused_from(campaign) is None or campaign.status is not resume_status(campaign):
                continue
            assert campaign.id is not None
            campaign.sync.platform_data = without_paused_from(campaign.sync.platform_data)
            updates.append((campaign.id, {"platform_data": campaign.sync.platform_data}))
        if updates:
            self.sets.update_entities({EntityType.CAMPAIGN: updates})

    # Admission: the circuit breaker ---------------------------------------------------

    async def _admitted(self, result: PushResult) -> bool:
        gate, snapshot = self.breaker.gate(self.clock())
        if gate is Gate.ALLOW:
            return True
        if gate is Gate.PROBE:
            try:
                with entity_context("ad_account", self.account.platform_account_id, "probe"):
                    await self.adapter.probe(self._context(None, {}))
            except PlatformError as exc:
                if not exc.retryable:
                    raise
                self._flush_audit()
                snapshot = self.breaker.reopen(f"probe failed: {exc}", self.clock())
                result.refused = self._refusal(snapshot.reason)
                return False
            self.breaker.close()
            return True
        result.refused = self._refusal(snapshot.reason)
        return False

    def _refusal(self, reason: str | None) -> str:
        return (
            f"circuit breaker open for {self.account.platform} account "
            f"{self.account.platform_account_id} ({reason}); nothing was pushed, entities stay "
            f"pending and are pushed once a probe call succeeds after the "
            f"{int(self.options.breaker.cool_down.total_seconds())} s cool-down"
        )

    # Creates whose outcome is unknown ---------------------------------------------------

    async def _resolve_open_intents(self, campaign_set: CampaignSet) -> bool:
        """Settle the intents a lost create or a killed push left open; True when any entity
        was adopted (its new platform id is in the store, not yet in `campaign_set`).

        One batch lookup per entity type (the platform's list calls, not a call per
        intent), and each type's answers - adoptions, "not found", the lookup's audit rows -
        committed together at once, so a push killed meanwhile does not redo them."""
        assert campaign_set.id is not None
        intents = self.log.open_intents(campaign_set.id)
        self._cut_short = self.ledger.creates_cut_short(campaign_set.id)
        paths = {(t, e.id): path for (t, path), e in index_entities(campaign_set).items()}
        known = {(entity_type_of(e).value, e.id): e for e in index_entities(campaign_set).values()}
        by_type: dict[EntityType, list[OpenIntent]] = defaultdict(list)
        superseded: list[OutcomeWrite] = []
        for intent in intents:
            entity = known.get((intent.entity_type, intent.entity_id))
            if entity is None or entity.sync.platform_id:
                superseded.append(OutcomeWrite(intent=(intent.id, "superseded", None)))
            else:
                by_type[EntityType(intent.entity_type)].append(intent)
        if superseded:
            self.ledger.commit_many(superseded)
        adopted = False
        for entity_type, open_ in by_type.items():
            lookups = [ChildLookup(i.parent_platform_id or "", i.name) for i in open_]
            try:
                with entity_context(entity_type.value, "*", "lookup"):
                    answers = await self._find_all_unheld(entity_type, lookups)
            except PlatformError as exc:
                # Without an answer a create could duplicate: these entities wait a push.
                for intent in open_:
                    self._unresolved[(entity_type, intent.entity_id)] = str(exc)
                self._flush_audit()
                continue
            writes = [OutcomeWrite(audits=self._drain_audit())]
            for intent, found in zip(open_, answers, strict=True):
                if found is None:
                    # Not on the platform: the create that follows reuses what it can.
                    self._cut_short.add((entity_type, intent.entity_id))
                    writes.append(OutcomeWrite(intent=(intent.id, "not_found", None)))
                    continue
                # The fingerprint stays unset: the planner then sends one update, which
                # makes the adopted entity match local even if edited since the lost create.
                key = key_of(paths[(entity_type, intent.entity_id)])
                writes.append(
                    OutcomeWrite(
                        entity_type,
                        intent.entity_id,
                        sync_changes={
                            "platform_id": found.platform_id,
                            "platform_data": found.platform_data,
                        },
                        intent=(intent.id, "adopted", found.platform_id),
                        audits=[self._adoption_audit(entity_type, key, intent.id, found)],
                    )
                )
                adopted = True
            self.ledger.commit_many(writes)
        return adopted

    def _adoption_audit(
        self, entity_type: EntityType, key: str, intent_id: int, found: PlatformResult
    ) -> AuditEntry:
        """The audit row of an adoption: no call of its own, the decision the lookup made."""
        return AuditEntry(
            run_id=self.run_id,
            campaign_set_id=self._set_id,
            ad_account_id=self.account.id,
            platform=self.account.platform,
            entity_type=entity_type.value,
            entity_key=key,
            operation="adopt",
            method="",
            path="",
            http_status=None,
            latency_ms=None,
            attempt=1,
            outcome="adopted",
            error=None,
            request_summary={"intent": intent_id},
            response_summary={"platform_id": found.platform_id},
        )

    async def _find_all_unheld(
        self, entity_type: EntityType, lookups: list[ChildLookup]
    ) -> list[PlatformResult | None]:
        """`_find_unheld` for many lookups of one type, in one batch lookup."""
        held = self.sets.platform_ids_held(entity_type, self.account.id) | self._claimed
        answers = await self.adapter.find_children_by_name(entity_type, lookups, exclude=held)
        self._claimed |= {found.platform_id for found in answers if found is not None}
        return answers

    async def _find_unheld(
        self, entity_type: EntityType, parent_platform_id: str, name: str
    ) -> PlatformResult | None:
        """The platform entity a lost create made, by name under its parent, passing over
        those another local entity holds (names are not unique) or that a concurrent
        lookup of this push has just claimed."""
        while True:
            held = self.sets.platform_ids_held(entity_type, self.account.id) | self._claimed
            found = await self.adapter.find_child_by_name(
                entity_type, parent_platform_id, name, exclude=held
            )
            if found is None or found.platform_id not in self._claimed:
                break
        if found is not None:
            self._claimed.add(found.platform_id)
        return found

    # Apply ------------------------------------------------------------------------------

    async def _apply(self, plan: Plan, index: Index, result: PushResult) -> None:
        """Each op starts once its parent's op has settled (the parent's id committed), not
        once the parent's whole level has: no slot idles while a level's last calls finish.
        The creates under one parent have their intents committed together, before any of
        them is sent."""
        semaphore = asyncio.Semaphore(self.options.concurrency)
        settled = {(op.entity_type, op.key_path): asyncio.Event() for op in plan.ops}
        creates: dict[Parent, list[PlannedOp]] = defaultdict(list)
        keyword_ops: dict[KeyPath, list[PlannedOp]] = defaultdict(list)
        tasks = []
        for op in plan.ops:
            if op.op is OpKind.CREATE and op.entity_type is not EntityType.KEYWORD:
                creates[parent_of(op)].append(op)
            if op.entity_type is EntityType.KEYWORD and op.parent_key_path is not None:
                keyword_ops[op.parent_key_path].append(op)
            else:
                run = self._run_op(op, index, semaphore, result)
                tasks.append(self._after_parent(parent_of(op), [op], run, settled, creates, index))
        for group_path, ops in keyword_ops.items():
            run = self._run_keyword_ops(group_path, ops, index, semaphore, result)
            parent = (EntityType.AD_GROUP, group_path)
            tasks.append(self._after_parent(parent, ops, run, settled, creates, index))
        running = [asyncio.ensure_future(task) for task in tasks]
        try:
            await asyncio.gather(*running)
        except BaseException:
            # Something outside the platform broke (the store, say): stop the other calls
            # rather than let them run on against a closed ledger. Open intents cover any
            # create cut short; the next push looks them up.
            for task in running:
                task.cancel()
            await asyncio.gather(*running, return_exceptions=True)
            raise

    async def _after_parent(
        self,
        parent: Parent,
        ops: list[PlannedOp],
        run: Coroutine[Any, Any, None],
        settled: dict[tuple[EntityType, KeyPath], asyncio.Event],
        creates: dict[Parent, list[PlannedOp]],
        index: Index,
    ) -> None:
        try:
            if parent in settled:
                await settled[parent].wait()
            batch = self._intent_batches.get(parent)
            if batch is None:
                batch = asyncio.ensure_future(self._record_intents(creates[parent], index))
                self._intent_batches[parent] = batch
            await batch
            await run
        finally:
            run.close()  # never awaited when waiting failed: no "never awaited" warning
            for op in ops:
                settled[(op.entity_type, op.key_path)].set()

    async def _record_intents(self, siblings: list[PlannedOp], index: Index) -> None:
        """One commit records the intents of every create under one parent."""
        creates = [
            op
            for op in siblings
            if op.entity_id is not None
            and (op.entity_type, op.entity_id) not in self._unresolved
            and not self._is_blocked(op, index)
        ]
        if not creates or self._abort_reason:
            return
        intents = [
            NewIntent(
                op.entity_type,
                op.entity_id,
                self._context(op, index).parent_platform_id,
                op.name,
            )
            for op in creates
            if op.entity_id is not None
        ]
        ids = await self._writer.call(
            partial(self.ledger.record_intents, self._set_id, self.run_id, intents)
        )
        for intent, intent_id in zip(intents, ids, strict=True):
            self._intents[(intent.entity_type, intent.entity_id)] = intent_id

    async def _run_op(
        self, op: PlannedOp, index: Index, semaphore: asyncio.Semaphore, result: PushResult
    ) -> None:
        entity = index[(op.entity_type, op.key_path)]
        if op.op is OpKind.NOOP:
            self._record(result, op, "noop", entity.sync.platform_id)
            return
        if op.op is OpKind.SKIP or self._is_blocked(op, index):
            await self._skip(result, op, op.reason if op.op is OpKind.SKIP else REASON_BLOCKED)
            return
        outcome: PlatformResult | PlatformError | None = None
        async with semaphore:
            if not self._abort_reason:
                with entity_context(op.entity_type.value, key_of(op.key_path), op.op.value):
                    try:
                        outcome = await self._call(op, entity, index)
                    except PlatformError as exc:
                        outcome = exc
        # Outcomes commit outside the semaphore: the slot goes to the next call at once.
        if outcome is None:
            await self._skip(result, op, self._abort_reason or "not attempted")
        elif isinstance(outcome, PlatformError):
            await self._fail(result, op, entity, outcome)
        else:
            await self._succeed(result, op, entity, outcome)

    async def _run_keyword_ops(
        self,
        group_path: KeyPath,
        ops: list[PlannedOp],
        index: Index,
        semaphore: asyncio.Semaphore,
        result: PushResult,
    ) -> None:
        """Keywords of one ad group go in one call (Reddit keeps them in the group's
        targeting, replaced whole), or in none when the group's own write carried them."""
        group = index[(EntityType.AD_GROUP, group_path)]
        assert isinstance(group, AdGroup)
        writes = [op for op in ops if op.is_write]
        for op in ops:
            if not op.is_write:
                await self._run_op(op, index, semaphore, result)
        if not writes:
            return
        if self._is_blocked(writes[0], index):
            for op in writes:
                await self._skip(result, op, REASON_BLOCKED)
            return
        if group_path not in self._written_groups:
            async with semaphore:
                failure: PlatformError | None = None
                if not self._abort_reason:
                    with entity_context("keyword", key_of(group_path) + "/*", "update"):
                        try:
                            await self.adapter.sync_keywords(
                                group,
                                [k for k in group.keywords if not k.sync.removed],
                                self._context(writes[0], index),
                            )
                        except PlatformError as exc:
                            failure = exc
            if self._abort_reason and failure is None:
                for op in writes:
                    await self._skip(result, op, self._abort_reason)
                return
            if failure is not None:
                for op in writes:
                    await self._fail(result, op, index[(op.entity_type, op.key_path)], failure)
                return
        for op in writes:
            keyword = index[(op.entity_type, op.key_path)]
            assert isinstance(keyword, Keyword)
            pid = f"{group.sync.platform_id}:{keyword.text}"
            await self._succeed(result, op, keyword, PlatformResult(platform_id=pid))

    async def _call(self, op: PlannedOp, entity: AnyEntity, index: Index) -> PlatformResult:
        context = self._context(op, index)
        if op.op is OpKind.CREATE:
            outcome = await self._create(op, entity, context)
        else:
            method = getattr(self.adapter, f"{op.op.value}_{op.entity_type.value}")
            outcome = await method(entity, context)
        if isinstance(entity, AdGroup):
            # The group's payload carries its keywords: no separate keyword call needed.
            self._written_groups.add(op.key_path)
        return outcome

    async def _create(
        self, op: PlannedOp, entity: AnyEntity, context: PushContext
    ) -> PlatformResult:
        parent_pid = context.parent_platform_id or ""
        assert entity.id is not None
        key = (op.entity_type, entity.id)
        unresolved = self._unresolved.get(key)
        if unresolved is not None:
            raise CreateOutcomeUnknown(
                f"an earlier create may have reached the platform and looking it up failed "
                f"({unresolved}); not creating again until the lookup succeeds"
            )
        if key not in self._intents:
            [self._intents[key]] = await self._writer.call(
                partial(
                    self.ledger.record_intents,
                    self._set_id,
                    self.run_id,
                    [NewIntent(op.entity_type, entity.id, parent_pid, op.name)],
                )
            )
        kind = op.entity_type.value
        if key in self._cut_short:
            context = replace(context, earlier_attempt=True)
        try:
            return await getattr(self.adapter, f"create_{kind}")(entity, context)
        except CreateOutcomeUnknown as unknown:
            try:
                found = await self._find_unheld(op.entity_type, parent_pid, op.name)
            except PlatformError as lookup:
                self._intents.pop(key)
                raise CreateOutcomeUnknown(
                    f"{unknown}; looking it up failed too ({lookup}): the intent stays open "
                    "and the next push looks again before creating"
                ) from lookup
            if found is None:
                # Left open on purpose: the next push looks again before creating.
                self._intents.pop(key)
                raise
        # Adopted: its id is committed before anything else is sent for it.
        intent_id = self._intents.pop(key)
        await self._writer.commit(
            OutcomeWrite(
                op.entity_type,
                entity.id,
                sync_changes={
                    "platform_id": found.platform_id,
                    "platform_data": found.platform_data,
                },
                intent=(intent_id, "adopted", found.platform_id),
                audits=[
                    *self._drain_audit(),
                    self._adoption_audit(op.entity_type, key_of(op.key_path), intent_id, found),
                ],
            ),
        )
        entity.sync.platform_id = found.platform_id
        entity.sync.platform_data = found.platform_data
        # One update makes the adopted entity match local, whatever the lost create sent.
        return await getattr(self.adapter, f"update_{kind}")(entity, context)

    # Outcomes: one commit each ----------------------------------------------------------

    async def _succeed(
        self, result: PushResult, op: PlannedOp, entity: AnyEntity, outcome: PlatformResult
    ) -> None:
        assert entity.id is not None
        platform_id = outcome.platform_id or entity.sync.platform_id
        platform_data = (
            outcome.platform_data
            if outcome.platform_data is not None
            else entity.sync.platform_data
        )
        field_changes: dict[str, object] = {}
        if op.op in (OpKind.PAUSE, OpKind.RESUME) and isinstance(entity, Campaign):
            entity.status = (
                resume_status(entity)
                if self._status_target is EntityStatus.ACTIVE
                else EntityStatus.PAUSED
            )
            field_changes["status"] = entity.status
        pushed = pushable_fields(entity)
        # Adapters hand back their own data only: the engine's own keys are carried over.
        previous = entity.sync.platform_data or {}
        platform_data = {
            **settled_by_push(previous, platform_data, pushed),
            **({PAUSED_FROM: previous[PAUSED_FROM]} if PAUSED_FROM in previous else {}),
            # The fields as pushed: reconciliation's base, to tell our own edits from the
            # platform's.
            PUSHED: pushed,
        }
        intent_id = self._intents.pop((op.entity_type, entity.id), None)
        result.synced += 1
        self._record(result, op, "synced", platform_id)
        await self._writer.commit(
            OutcomeWrite(
                op.entity_type,
                entity.id,
                sync_changes={
                    "platform_id": platform_id,
                    "platform_data": platform_data,
                    "sync_status": SyncStatus.SYNCED,
                    "last_pushed_fingerprint": op.fingerprint,
                    "last_synced_at": self.clock(),
                    "last_error": None,
                    "attempts": 0,
                    "next_attempt_at": None,
                },
                field_changes=field_changes,
                intent=(intent_id, "created", platform_id) if intent_id is not None else None,
                audits=self._drain_audit(),
                events=self._drain_events(),
                # A removal sent stays one whatever an import does meanwhile.
                sent_fingerprint=None if op.op is OpKind.DELETE else op.fingerprint,
            ),
        )
        entity.sync.platform_id = platform_id
        entity.sync.platform_data = platform_data

    async def _fail(
        self, result: PushResult, op: PlannedOp, entity: AnyEntity, exc: PlatformError
    ) -> None:
        assert entity.id is not None
        classification = classify(exc)
        attempts = entity.sync.attempts + 1
        retry_at = (
            next_attempt_at(self.clock(), attempts, self.options.retry_base)
            if classification is ErrorClass.RETRYABLE
            else None
        )
        message = str(exc)
        # A definite refusal created nothing; an unknown outcome keeps its intent open.
        intent_id = self._intents.pop((op.entity_type, entity.id), None)
        result.failed += 1
        self._record(
            result,
            op,
            "failed",
            entity.sync.platform_id,
            message=message,
            retryable=classification is ErrorClass.RETRYABLE,
        )
        await self._writer.commit(
            OutcomeWrite(
                op.entity_type,
                entity.id,
                sync_changes={
                    "sync_status": SyncStatus.FAILED,
                    "last_error": message,
                    "attempts": attempts,
                    "next_attempt_at": retry_at,
                },
                intent=(intent_id, "failed", None) if intent_id is not None else None,
                audits=self._drain_audit(),
                events=self._drain_events(),
            ),
        )
        self._alert_on_failure(op, entity, exc, classification, attempts)
        if classification is ErrorClass.AUTH:
            self._abort_reason = f"not attempted: authentication failed ({message})"
            result.error = result.error or (
                f"{self.account.platform} refused the credentials of ad account "
                f"{self.account.platform_account_id}, so the push stopped; reconnect it with "
                f"`adsync accounts connect {self.account.platform}`: {message}"
            )
        elif classification is ErrorClass.RETRYABLE and not self._abort_reason:
            opened = self.breaker.trip_if_needed(self.clock())
            if opened is not None:
                self._abort_reason = f"not attempted: circuit breaker opened ({opened.reason})"
                self._alerts.append(
                    alerts.breaker_opened(
                        self.account.platform,
                        self.account.platform_account_id,
                        opened,
                        int(self.options.breaker.cool_down.total_seconds()),
                    )
                )

    def _alert_on_failure(
        self,
        op: PlannedOp,
        entity: AnyEntity,
        exc: PlatformError,
        classification: ErrorClass,
        attempts: int,
    ) -> None:
        """A refusal for good, or the last of the retryable attempts, needs a person."""
        assert entity.id is not None
        kind, key = op.entity_type.value, key_of(op.key_path)
        if classification is ErrorClass.PERMANENT:
            self._alerts.append(
                alerts.entity_rejected(
                    self.run_id,
                    self._set_id,
                    kind,
                    entity.id,
                    key,
                    op.fingerprint,
                    exc,
                    self.account.platform,
                )
            )
        elif classification is ErrorClass.RETRYABLE and attempts >= MAX_ATTEMPTS:
            self._alerts.append(
                alerts.entity_gave_up(
                    self.run_id, self._set_id, kind, entity.id, key, attempts, str(exc)
                )
            )

    async def _skip(self, result: PushResult, op: PlannedOp, reason: str) -> None:
        result.skipped += 1
        self._record(result, op, "skipped", op.platform_id, message=reason)
        intent_id = self._intents.pop((op.entity_type, op.entity_id or 0), None)
        if intent_id is not None:
            await self._writer.commit(OutcomeWrite(intent=(intent_id, "not_attempted", None)))

    def _record(
        self,
        result: PushResult,
        op: PlannedOp,
        status: str,
        platform_id: str | None,
        *,
        message: str | None = None,
        retryable: bool | None = None,
    ) -> None:
        outcome = EntityOutcome(
            entity=op.entity_type.value,
            key=key_of(op.key_path),
            operation=op.op.value,
            status=status,
            platform_id=platform_id,
            message=message,
            retryable=retryable,
        )
        result.outcomes.append(outcome)
        if self.on_progress is not None:
            self.on_progress(len(result.outcomes), self._total, outcome)
        if status == "noop":
            result.noop += 1
            return
        self._event(
            "sync-progress",
            {
                "entity": outcome.entity,
                "key": outcome.key,
                "operation": outcome.operation,
                "status": status,
                "platformId": platform_id,
                "error": message if status != "synced" else None,
            },
        )

    # Writes -----------------------------------------------------------------------------

    def _event(self, event_type: str, payload: dict[str, object]) -> None:
        self._events.append(
            EventRow(self._set_id, event_type, payload, self.run_id, self.request_id)
        )

    def _drain_events(self) -> list[EventRow]:
        events, self._events = self._events, []
        return events

    def _drain_audit(self) -> list[AuditEntry]:
        return self.audit.drain() if self.audit is not None else []

    def _flush_audit(self) -> None:
        rows = self._drain_audit()
        if rows:
            self.ledger.commit(OutcomeWrite(audits=rows))

    # Lookups ----------------------------------------------------------------------------

    def _is_blocked(self, op: PlannedOp, index: Index) -> bool:
        """A child cannot be written under an ancestor that has no platform id (its create
        failed or was skipped); a failed update or a skip of an existing parent blocks
        nothing, since the parent is there on the platform."""
        return any(not index[ancestor].sync.platform_id for ancestor in ancestors(op))

    def _context(self, op: PlannedOp | None, index: Index) -> PushContext:
        campaign = group = None
        for entity_type, path in ancestors(op) if op else []:
            if entity_type is EntityType.CAMPAIGN:
                campaign = index[(entity_type, path)]
            else:
                group = index[(entity_type, path)]
        return PushContext(
            ad_account_id=self.account.platform_account_id,
            funding_instrument_id=self.account.funding_instrument_id,
            profile_id=self.account.profile_id,
            pixel_id=self.account.pixel_id,
            campaign=campaign if isinstance(campaign, Campaign) else None,
            ad_group=group if isinstance(group, AdGroup) else None,
        )

    # Totals -----------------------------------------------------------------------------

    def _collect_stats(self, result: PushResult) -> None:
        stats = self.adapter.stats()
        result.api_calls = stats.api_calls
        result.rate_limited = stats.rate_limited
        result.retries = stats.retries

    def _finish(self, run_row: int, result: PushResult, *, crashed: bool) -> None:
        """The run's outcome, written whatever happened: its row (status, totals, cause),
        its last event, the set's status if the push left it `syncing`, then its alerts.
        After a crash each write is tried on its own: one failing must not hide the rest,
        nor replace the error being raised."""
        cause = result.cause
        totals = {
            "synced": result.synced,
            "failed": result.failed,
            "skipped": result.skipped,
            "api_calls": result.api_calls,
            "rate_limited": result.rate_limited,
            "retries": result.retries,
        }
        summary = {
            "operation": self._operation,
            "duration_s": result.duration_s,
            "noop": result.noop,
            "refused": result.refused,
            # Why the push itself stopped (crash, credentials); None when it ran through.
            "error": result.error,
            # Why the run failed or was refused, whatever the reason, in one sentence.
            "cause": cause,
        }
        outcome = {
            "status": result.status,
            "error": cause if result.status == FAILED else None,
            "synced": result.synced,
            "failed": result.failed,
            "skipped": result.skipped,
            "refused": result.refused,
            "errors": result.errors,
        }
        # A crashed push did not complete: its stream ends with `job-failed`, never with a
        # `sync-complete` a client could read as success.
        self._event(JOB_FAILED if crashed else COMPLETE, outcome)
        steps: list[Callable[[], object]] = [
            lambda: self.ledger.commit(
                OutcomeWrite(audits=self._drain_audit(), events=self._drain_events())
            ),
            lambda: self.log.finish_run(run_row, result.status, totals, summary),
        ]
        if self._left_syncing:
            steps.append(
                lambda: self.sets.set_status(
                    self._set_id, status=SetStatus.ERROR, sync_status=SyncStatus.FAILED
                )
            )
        if result.error:
            self._alerts.insert(0, alerts.run_failed(self.run_id, self._set_id, result.error))
        for step in steps:
            if not crashed:
                step()
                continue
            try:
                step()
            except Exception:
                logger.exception("push %s: recording its failure failed", self.run_id)
        alerts.raise_push_alerts(
            self.db,
            self._alerts,
            run_id=self.run_id,
            campaign_set_id=self._set_id,
            ad_account_id=self.account.id,
        )

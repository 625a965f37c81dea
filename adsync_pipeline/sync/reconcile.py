"""Reconcile one ad account: snapshot the platform, compare three ways, pull, flag conflicts.

Two steps, which Dagster runs as two assets and `reconcile_account` runs back to back:
1. `take_snapshot` reads the account through list endpoints and stores it
   (`platform_snapshots`), stamped with the time the reading *started*;
2. `reconcile_snapshot` compares the stored snapshot with the ledger (pure, timed on its
   own, `domain.reconcile`) and writes only entities with something to pull or flag.
An entity pushed after the snapshot started is left for the next run: its new base is
newer than what the snapshot saw, and comparing them would "pull" our own old value back.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

from adsync_pipeline.domain.fingerprint import fingerprint, fingerprint_of_fields, pushable_fields
from adsync_pipeline.domain.model import (
    AdGroup,
    CampaignSet,
    Entity,
    EntityType,
    Keyword,
    MatchType,
    SyncStatus,
    entity_type_of,
)
from adsync_pipeline.domain.plan import DELETED_FINGERPRINT
from adsync_pipeline.domain.pulled import PRESENT, marked
from adsync_pipeline.domain.reconcile import (
    DELETED_MESSAGE,
    KEYWORDS,
    PUSHED,
    EntityReconciliation,
    KeywordPull,
    KeywordSides,
    LocalEntry,
    Outcome,
    Projection,
    RemoteEntry,
    reconcile,
)
from adsync_pipeline.errors import AdsyncError, NotFoundError
from adsync_pipeline.platforms.poller import AccountSnapshot, PlatformPoller
from adsync_pipeline.platforms.reddit import snapshot as reddit_snapshot
from adsync_pipeline.platforms.reddit.client import CallRecord
from adsync_pipeline.platforms.reddit.services import RedditAds
from adsync_pipeline.platforms.reddit.tokens import client_for_account
from adsync_pipeline.security.vault import Vault
from adsync_pipeline.store.accounts import AccountRecord, AccountRepository
from adsync_pipeline.store.campaign_sets import CampaignSetRepository, UnreadableSetError
from adsync_pipeline.store.conflicts import ConflictRepository, NewConflict
from adsync_pipeline.store.db import Database
from adsync_pipeline.store.models import utcnow
from adsync_pipeline.store.snapshots import SnapshotRepository, SnapshotRow
from adsync_pipeline.store.sync_log import AuditEntry, SyncLogRepository
from adsync_pipeline.sync.alerts import CONFLICT_OPENED, raise_alert
from adsync_pipeline.sync.audit import AuditRecorder, entity_context
from adsync_pipeline.sync.requests import request_sync

logger = logging.getLogger(__name__)
LIST_KINDS = ("campaigns", "ad_groups", "ads")
# How each platform shows our fields back; usable without a connection.
PROJECTIONS: dict[str, Projection] = {"reddit": reddit_snapshot.comparable}
# What each platform's push adapter keeps in `platform_data`, read from a snapshot's raw.
LEDGER_FACTS: dict[str, Callable[[EntityType, dict[str, Any]], dict[str, Any]]] = {
    "reddit": reddit_snapshot.ledger_facts
}
DELETED_STATUS = "deleted"
BUDGET_FIELDS = frozenset({"budget_type", "budget_amount"})

PollerOpener = Callable[
    [Database, AccountRecord, Callable[[CallRecord], None]],
    AbstractAsyncContextManager[PlatformPoller],
]


@dataclass
class SnapshotResult:
    run_id: str
    platform: str
    ad_account_id: str
    fetched_at: datetime
    fetched: int = 0
    by_type: dict[str, int] = field(default_factory=dict)
    list_calls: int = 0
    other_calls: int = 0  # post reads, for ads whose post is new to us
    added: int = 0
    changed: int = 0
    gone: int = 0
    duration_s: float = 0.0
    # For display only (never compared): delivery status lags writes by minutes.
    effective_status: dict[str, int] = field(default_factory=dict)
    rejected: list[dict[str, Any]] = field(default_factory=list)

    @property
    def changes(self) -> int:
        return self.added + self.changed + self.gone

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "changes": self.changes}


@dataclass
class ReconcileResult:
    run_id: str
    platform: str
    ad_account_id: str
    fetched: int = 0
    unchanged: int = 0
    local_only: int = 0
    pulled: int = 0
    merged: int = 0
    conflicts: int = 0  # conflicts opened by this run, deletions included
    deleted_on_platform: int = 0
    skipped: int = 0
    list_calls: int = 0
    other_calls: int = 0
    snapshot_changes: int = 0  # snapshot rows added, changed or gone since the last run
    # Sync requests queued for sets with merged entities: their local fields must go out.
    push_requests: list[int] = field(default_factory=list)
    rejected: list[dict[str, Any]] = field(default_factory=list)  # by the platform's review
    snapshot_s: float = 0.0  # reading and storing the snapshot
    compare_s: float = 0.0  # planning and comparing (pure)
    duration_s: float = 0.0
    changes: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def new_run_id() -> str:
    return f"adsync-reconcile-{uuid.uuid4()}"


def find_account(db: Database, account: str) -> AccountRecord:
    """A connected account by its platform id (`t2_...`) or our row id."""
    for record in AccountRepository(db).list():
        if account in (record.platform_account_id, str(record.id)):
            if not record.has_tokens or record.revoked_at is not None:
                raise AdsyncError(f"ad account {record.platform_account_id} is not connected")
            return record
    raise NotFoundError(f"ad account {account} not found")


def connected_accounts(db: Database) -> list[AccountRecord]:
    return [a for a in AccountRepository(db).list() if a.has_tokens and a.revoked_at is None]


@asynccontextmanager
async def open_poller(
    db: Database, account: AccountRecord, on_call: Callable[[CallRecord], None]
) -> AsyncIterator[PlatformPoller]:
    if account.platform not in PROJECTIONS:
        raise AdsyncError(f"adsync cannot reconcile {account.platform!r} accounts yet")
    repository = AccountRepository(db, Vault.from_env())
    async with client_for_account(account.id, repository, on_call=on_call) as client:
        yield reddit_snapshot.RedditPoller(RedditAds(client))


def reconcile_account(
    db: Database,
    account_id: str,
    run_id: str | None = None,
    *,
    opener: PollerOpener = open_poller,
) -> ReconcileResult:
    """Snapshot, then reconcile: what `adsync reconcile` runs."""
    run_id = run_id or new_run_id()
    started = time.monotonic()
    snapshot = take_snapshot(db, account_id, run_id, opener=opener)
    result = reconcile_snapshot(db, account_id, run_id)
    result.list_calls = snapshot.list_calls
    result.other_calls = snapshot.other_calls
    result.snapshot_changes = snapshot.changes
    result.snapshot_s = snapshot.duration_s
    result.rejected = snapshot.rejected
    result.duration_s = round(time.monotonic() - started, 3)
    return result


def take_snapshot(
    db: Database,
    account_id: str,
    run_id: str | None = None,
    *,
    opener: PollerOpener = open_poller,
) -> SnapshotResult:
    return asyncio.run(take_snapshot_async(db, account_id, run_id, opener=opener))


async def take_snapshot_async(
    db: Database,
    account_id: str,
    run_id: str | None = None,
    *,
    opener: PollerOpener = open_poller,
) -> SnapshotResult:
    started = time.monotonic()
    account = find_account(db, account_id)
    run_id = run_id or new_run_id()
    result = SnapshotResult(run_id, account.platform, account.platform_account_id, utcnow())
    snapshots = SnapshotRepository(db)
    ledger = _ledger(db, account)
    ours = [
        (entity.sync.platform_data, base)
        for campaign_set in ledger
        for _, entity in _walk(campaign_set)
        if entity_type_of(entity) is EntityType.AD and (base := base_of(entity)) is not None
    ]
    recorder = AuditRecorder(
        SyncLogRepository(db),
        run_id=run_id,
        campaign_set_id=None,
        ad_account_id=account.id,
        platform=account.platform,
    )
    own_ad_groups = {
        entity.sync.platform_id
        for campaign_set in ledger
        for _, entity in _walk(campaign_set)
        if isinstance(entity, AdGroup) and entity.sync.platform_id
    }
    async with opener(db, account, recorder) as poller:
        previous = (row.raw for row in snapshots.rows(account.id, EntityType.AD.value))
        known = poller.known_creatives(previous, ours)
        with entity_context("ad_account", account.platform_account_id, "snapshot"):
            snapshot = await poller.snapshot_account(
                account.platform_account_id, known=known, own_ad_groups=own_ad_groups
            )
    changes = snapshots.replace(account.id, _rows(snapshot), result.fetched_at)
    result.fetched = len(snapshot.all())
    result.by_type = {t.value: len(entities) for t, entities in snapshot.entities.items()}
    result.list_calls = sum(snapshot.calls.get(kind, 0) for kind in LIST_KINDS)
    result.other_calls = snapshot.total_calls - result.list_calls
    result.added, result.changed, result.gone = changes.added, changes.changed, changes.gone
    result.effective_status = dict(
        Counter(e.effective_status for e in snapshot.all() if e.effective_status)
    )
    result.rejected = [
        {"entity_type": e.entity_type.value, "platform_id": e.platform_id, "reason": reason}
        for e in snapshot.all()
        if (reason := e.rejection_reason)
    ]
    result.duration_s = round(time.monotonic() - started, 3)
    return result


def reconcile_snapshot(db: Database, account_id: str, run_id: str | None = None) -> ReconcileResult:
    """Compare the stored snapshot of the account with the ledger; pull and flag."""
    started = time.monotonic()
    account = find_account(db, account_id)
    run_id = run_id or new_run_id()
    result = ReconcileResult(run_id, account.platform, account.platform_account_id)
    rows = SnapshotRepository(db).rows(account.id)
    if not rows:
        raise AdsyncError(f"no snapshot of ad account {account.platform_account_id} yet")
    fetched_at = min(_aware(row.fetched_at) for row in rows)
    ledger = _ledger(db, account)
    result.fetched = len(rows)

    # Planning and comparing: everything between the reads and the writes, all pure.
    compare_started = time.perf_counter()
    entries = [entry for s in ledger for entry in _entries(s, fetched_at)]
    platform_data = {
        (entity_type_of(entity), entity.id): entity.sync.platform_data
        for campaign_set in ledger
        for _, entity in _walk(campaign_set)
    }
    groups = {
        group.id: group
        for campaign_set in ledger
        for _, group in _walk(campaign_set)
        if isinstance(group, AdGroup)
    }
    remote = _without_budgets_of_broken_campaigns(entries, _remote(rows))
    outcomes = reconcile(entries, remote, PROJECTIONS[account.platform])
    result.compare_s = round(time.perf_counter() - compare_started, 4)

    raw = {(EntityType(row.entity_type), row.platform_id): row.raw for row in rows}
    applier = _Applier(db, account, run_id, result, platform_data, raw, groups)
    for outcome in outcomes:
        applier.apply(outcome)
    merged_sets = {o.entry.campaign_set_id for o in outcomes if o.outcome is Outcome.MERGED}
    result.push_requests = [
        request_sync(db, set_id, "reconcile", trigger="reconcile") for set_id in sorted(merged_sets)
    ]
    result.duration_s = round(time.monotonic() - started, 3)
    return result


def reconcile_all(db: Database, run_id: str | None = None) -> list[ReconcileResult]:
    return [
        reconcile_account(db, account.platform_account_id, run_id)
        for account in connected_accounts(db)
    ]


# --- ledger -> comparison input -------------------------------------------------------------


def _walk(campaign_set: CampaignSet) -> Iterator[tuple[str, Entity]]:
    for campaign in campaign_set.campaigns:
        yield campaign.key, campaign
        for group in campaign.ad_groups:
            group_key = f"{campaign.key}/{group.key}"
            yield group_key, group
            for ad in group.ads:
                yield f"{group_key}/{ad.key}", ad


def base_of(entity: Entity) -> dict[str, Any] | None:
    """The fields as last pushed: stored by the push engine, or, for entities pushed before
    it stored them, the current fields when their fingerprint proves nothing changed since."""
    pushed = (entity.sync.platform_data or {}).get(PUSHED)
    if pushed is not None:
        return dict(pushed)
    if entity.sync.last_pushed_fingerprint == fingerprint(entity):
        return pushable_fields(entity)
    return None


def _ledger(db: Database, account: AccountRecord) -> list[CampaignSet]:
    sets = CampaignSetRepository(db)
    mine = (account.platform, account.platform_account_id)
    ledger = []
    for summary in sets.list():
        if (summary.platform, summary.ad_account_id) != mine:
            continue
        try:
            ledger.append(sets.load(summary.id))
        except UnreadableSetError as exc:
            # One set's bad row must not stop the account: `sets list` and `status` show
            # why it is skipped, and a valid re-import brings it back.
            logger.warning("reconcile skips %s", exc)
    return ledger


def _entries(campaign_set: CampaignSet, snapshot_started: datetime) -> Iterator[LocalEntry]:
    assert campaign_set.id is not None
    for key, entity in _walk(campaign_set):
        sync = entity.sync
        if (
            sync.platform_id is None
            or sync.removed
            or sync.sync_status is SyncStatus.SYNCING
            or sync.last_pushed_fingerprint == DELETED_FINGERPRINT
            or (sync.last_synced_at is not None and _aware(sync.last_synced_at) > snapshot_started)
        ):
            continue
        assert entity.id is not None
        yield LocalEntry(
            entity_type=entity_type_of(entity),
            entity_id=entity.id,
            campaign_set_id=campaign_set.id,
            key=key,
            platform_id=sync.platform_id,
            sync_status=sync.sync_status,
            base=base_of(entity),
            local=pushable_fields(entity),
            keywords=(
                keyword_sides(entity, snapshot_started) if isinstance(entity, AdGroup) else None
            ),
        )


def keyword_sides(group: AdGroup, snapshot_started: datetime) -> KeywordSides | None:
    """The ad group's keyword texts as last pushed (base) and live now (local); None when
    the base cannot be known or a keyword was pushed after the snapshot started."""
    base: set[str] = set()
    local: set[str] = set()
    for keyword in group.keywords:
        sync = keyword.sync
        if sync.sync_status is SyncStatus.SYNCING or (
            sync.last_synced_at is not None and _aware(sync.last_synced_at) > snapshot_started
        ):
            return None
        if not sync.removed:
            local.add(keyword.text)
        if sync.platform_id is None or sync.last_pushed_fingerprint == DELETED_FINGERPRINT:
            continue  # not on the platform (never pushed, or its removal was)
        pushed = base_of(keyword)
        if pushed is None:
            return None
        base.add(pushed["text"])
    return KeywordSides(frozenset(base), frozenset(local))


def synced_keyword(group: AdGroup, text: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """(fields, sync columns) of a keyword the platform holds as `text` under `group`, as
    the push engine would have recorded it (Reddit cannot tell match types: broad)."""
    keyword = Keyword(key=text.lower(), text=text, match_type=MatchType.BROAD)
    fields = {"text": text, "match_type": MatchType.BROAD}
    return fields, {
        "platform_id": f"{group.sync.platform_id}:{text}",
        "platform_data": {PUSHED: pushable_fields(keyword)},
        "sync_status": SyncStatus.SYNCED,
        "last_pushed_fingerprint": fingerprint(keyword),
        "last_synced_at": utcnow(),
        "last_error": None,
        "attempts": 0,
        "next_attempt_at": None,
        "removed_at": None,
    }


def keyword_writes_pending(keyword: Keyword) -> bool:
    """Whether the next push would write this keyword (the group's list) to the platform."""
    sync = keyword.sync
    if sync.removed:
        return sync.platform_id is not None and sync.last_pushed_fingerprint != DELETED_FINGERPRINT
    return sync.platform_id is None or fingerprint(keyword) != sync.last_pushed_fingerprint


def take_keywords(
    sets: CampaignSetRepository, campaign_set_id: int, group: AdGroup, pull: KeywordPull
) -> None:
    """Local takes the platform's side of these keywords: rows added (or a removed row of
    the same key brought back) as synced, rows the platform dropped marked removed."""
    assert group.id is not None
    by_key = {keyword.key: keyword for keyword in group.keywords}
    live = {keyword.text: keyword for keyword in group.keywords if not keyword.sync.removed}
    removing = {live[text].key: live[text] for text in pull.remove if text in live}
    added: list[dict[str, Any]] = []
    updates: list[tuple[int, dict[str, Any], dict[str, Any]]] = []
    now = utcnow()
    for text in pull.add:
        fields, sync = synced_keyword(group, text)
        # Marked as the platform's addition: a re-import that leaves it out must say so.
        sync["platform_data"] = marked(sync["platform_data"], {PRESENT: True}, now)
        existing = by_key.get(text.lower())
        if existing is None:
            added.append({"key": text.lower(), **fields, **sync})
            by_key[text.lower()] = Keyword(key=text.lower(), text=text)
        elif existing.id is not None and (existing.sync.removed or existing.key in removing):
            removing.pop(existing.key, None)
            updates.append((existing.id, fields, sync))
        # else a live keyword of another spelling holds that key: it stays as it is.
    for keyword in removing.values():
        assert keyword.id is not None
        gone = {
            "platform_data": marked(keyword.sync.platform_data, {PRESENT: False}, now),
            "removed_at": now,
            "last_pushed_fingerprint": DELETED_FINGERPRINT,
            "sync_status": SyncStatus.SYNCED,
            "last_synced_at": now,
        }
        updates.append((keyword.id, {}, gone))
    sets.write_keywords(campaign_set_id, group.id, added, updates)


def _remote(rows: list[SnapshotRow]) -> dict[tuple[EntityType, str], RemoteEntry]:
    return {
        (EntityType(row.entity_type), row.platform_id): RemoteEntry(
            row.mapped, deleted=row.mapped.get("status") == DELETED_STATUS
        )
        for row in rows
    }


def _without_budgets_of_broken_campaigns(
    entries: list[LocalEntry], remote: dict[tuple[EntityType, str], RemoteEntry]
) -> dict[tuple[EntityType, str], RemoteEntry]:
    """A campaign budget is rebuilt from its ad groups' shares, so with one of our ad groups
    gone it would read as a smaller budget: that group's deletion is the conflict, and the
    budget is not compared until it is resolved."""
    campaigns = {
        (e.campaign_set_id, e.key): e.platform_id
        for e in entries
        if e.entity_type is EntityType.CAMPAIGN
    }
    for entry in entries:
        if entry.entity_type is not EntityType.AD_GROUP:
            continue
        group = remote.get((EntityType.AD_GROUP, entry.platform_id))
        parent = campaigns.get((entry.campaign_set_id, entry.key.split("/")[0]))
        campaign = remote.get((EntityType.CAMPAIGN, parent)) if parent else None
        if campaign is not None and (group is None or group.deleted):
            mapped = {k: v for k, v in campaign.mapped.items() if k not in BUDGET_FIELDS}
            remote[(EntityType.CAMPAIGN, parent)] = RemoteEntry(mapped, campaign.deleted)
    return remote


def _aware(moment: datetime | None) -> datetime:
    # SQLite hands back naive UTC datetimes.
    assert moment is not None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _rows(snapshot: AccountSnapshot) -> list[SnapshotRow]:
    return [
        SnapshotRow(
            entity_type=entity.entity_type.value,
            platform_id=entity.platform_id,
            fingerprint=fingerprint_of_fields(entity.mapped),
            mapped=entity.mapped,
            raw=entity.raw,
        )
        for entity in snapshot.all()
    ]


# --- applying outcomes ------------------------------------------------------------------------


class _Applier:
    def __init__(
        self,
        db: Database,
        account: AccountRecord,
        run_id: str,
        result: ReconcileResult,
        platform_data: dict[tuple[EntityType, int | None], dict[str, Any] | None],
        raw: dict[tuple[EntityType, str], dict[str, Any]],
        groups: dict[int | None, AdGroup],
    ) -> None:
        self.db = db
        self.groups = groups
        self.platform_data = platform_data
        self.raw = raw
        self.facts = LEDGER_FACTS[account.platform]
        self.account = account
        self.run_id = run_id
        self.result = result
        self.sets = CampaignSetRepository(db)
        self.conflicts = ConflictRepository(db)
        self.log = SyncLogRepository(db)

    def apply(self, outcome: EntityReconciliation) -> None:
        counter = {
            Outcome.UNCHANGED: "unchanged",
            Outcome.LOCAL_ONLY: "local_only",
            Outcome.PULLED: "pulled",
            Outcome.MERGED: "merged",
            Outcome.SKIPPED: "skipped",
        }.get(outcome.outcome)
        if counter is not None:
            setattr(self.result, counter, getattr(self.result, counter) + 1)
        if outcome.outcome in (Outcome.UNCHANGED, Outcome.LOCAL_ONLY, Outcome.SKIPPED):
            return
        entry = outcome.entry
        if outcome.pulls:
            self.sets.update_entity_fields(entry.entity_type, entry.entity_id, outcome.pulls)
        if outcome.keyword_pull:
            group = self.groups[entry.entity_id]
            take_keywords(self.sets, entry.campaign_set_id, group, outcome.keyword_pull)
        if outcome.pulls or outcome.keyword_pull:
            self._audit_pull(outcome)
        if any(conflict.field == KEYWORDS for conflict in outcome.conflicts):
            self._hold_keywords(entry)
        if outcome.new_base is not None:
            platform_data = {
                **self._platform_data(entry),
                **self.facts(entry.entity_type, self.raw[(entry.entity_type, entry.platform_id)]),
                PUSHED: outcome.new_base,
            }
            self.sets.update_entity(
                entry.entity_type,
                entry.entity_id,
                # What was pulled stays marked, so that a re-import cannot quietly undo it.
                platform_data=marked(platform_data, outcome.pulls, utcnow())
                if outcome.pulls
                else platform_data,
                last_pushed_fingerprint=outcome.new_fingerprint,
                sync_status=self._status(outcome),
            )
        elif outcome.conflicts:
            self.sets.update_entity(
                entry.entity_type, entry.entity_id, sync_status=SyncStatus.CONFLICT
            )
        # Otherwise only keywords were pulled: the ad group's own fields and status stand.
        opened = [self._open(outcome, conflict) for conflict in outcome.conflicts]
        self.result.conflicts += sum(1 for conflict_id in opened if conflict_id is not None)
        if outcome.outcome is Outcome.DELETED:
            self.result.deleted_on_platform += 1
        self.result.changes.append(
            {
                "entity_type": entry.entity_type.value,
                "key": entry.key,
                "platform_id": entry.platform_id,
                "outcome": outcome.outcome.value,
                "pulled": outcome.pulls,
                **(
                    {"keywords": _keyword_summary(outcome.keyword_pull)}
                    if outcome.keyword_pull
                    else {}
                ),
                "conflicts": [c.field for c in outcome.conflicts],
                "fields": field_changes(outcome),
            }
        )

    @staticmethod
    def _status(outcome: EntityReconciliation) -> SyncStatus:
        """The entity's own status (its keywords are rows of their own)."""
        if outcome.conflicts:
            return SyncStatus.CONFLICT
        if {**outcome.entry.local, **outcome.pulls} == outcome.new_base:
            return SyncStatus.SYNCED
        # A failed entity keeps its retry schedule; the merge only adds to what it will send.
        if outcome.entry.sync_status is SyncStatus.FAILED:
            return SyncStatus.FAILED
        return SyncStatus.PENDING

    def _hold_keywords(self, entry: LocalEntry) -> None:
        """A keyword conflict: the keywords the next push would write wait for a person."""
        group = self.groups[entry.entity_id]
        held = [
            (keyword.id, {}, {"sync_status": SyncStatus.CONFLICT})
            for keyword in group.keywords
            if keyword.id is not None and keyword_writes_pending(keyword)
        ]
        assert group.id is not None
        self.sets.write_keywords(entry.campaign_set_id, group.id, [], held)

    def _platform_data(self, entry: LocalEntry) -> dict[str, Any]:
        # Other keys (the adapter's post id, budget fingerprint) must survive a new base.
        return dict(self.platform_data.get((entry.entity_type, entry.entity_id)) or {})

    def _audit_pull(self, outcome: EntityReconciliation) -> None:
        entry = outcome.entry
        self.log.write_audit(
            AuditEntry(
                run_id=self.run_id,
                campaign_set_id=entry.campaign_set_id,
                ad_account_id=self.account.id,
                platform=self.account.platform,
                entity_type=entry.entity_type.value,
                entity_key=entry.key,
                operation="pull",
                method="LOCAL",
                path=f"{entry.entity_type.value}/{entry.platform_id}",
                http_status=None,
                latency_ms=None,
                attempt=1,
                outcome=outcome.outcome.value,
                error=None,
                request_summary={
                    "pulled": outcome.pulls,
                    **(
                        {"keywords": _keyword_summary(outcome.keyword_pull)}
                        if outcome.keyword_pull
                        else {}
                    ),
                },
                response_summary={"before": {k: entry.local.get(k) for k in outcome.pulls}},
            )
        )

    def _open(self, outcome: EntityReconciliation, conflict: Any) -> int | None:
        entry = outcome.entry
        conflict_id = self.conflicts.open(
            NewConflict(
                campaign_set_id=entry.campaign_set_id,
                entity_type=entry.entity_type.value,
                entity_id=entry.entity_id,
                entity_key=entry.key,
                field=conflict.field,
                base=conflict.base,
                local=conflict.local,
                remote=conflict.remote,
            )
        )
        if conflict_id is None:
            return None
        what = (
            DELETED_MESSAGE
            if outcome.outcome is Outcome.DELETED
            else f"{conflict.field}: local {conflict.local!r}, platform {conflict.remote!r}"
        )
        raise_alert(
            self.db,
            CONFLICT_OPENED,
            f"conflict {conflict_id} on {entry.entity_type.value} {entry.key} "
            f"[{entry.platform_id}] ({what}); resolve with "
            f"`adsync conflicts resolve {conflict_id} --use local|platform`",
            campaign_set_id=entry.campaign_set_id,
            ad_account_id=self.account.id,
            dagster_run_id=self.run_id,
            details={"conflict_id": conflict_id, "field": conflict.field},
            dedupe_key=f"conflict:{conflict_id}",
        )
        return conflict_id


def field_changes(outcome: EntityReconciliation) -> list[dict[str, Any]]:
    """One row per field that differs on either side: base, local, remote and what was done
    (`pulled`, `conflict`, or `local`: sent by the next push)."""
    entry, base = outcome.entry, outcome.entry.base or {}
    rows = [
        {"field": name, "base": base.get(name), "local": entry.local.get(name), "remote": value,
         "result": "pulled"}
        for name, value in outcome.pulls.items()
    ]  # fmt: skip
    rows += [
        {"field": c.field, "base": c.base, "local": c.local, "remote": c.remote,
         "result": "conflict"}
        for c in outcome.conflicts
    ]  # fmt: skip
    if outcome.outcome is Outcome.MERGED:
        seen = {row["field"] for row in rows}
        rows += [
            {"field": name, "base": base.get(name), "local": value, "remote": base.get(name),
             "result": "local"}
            for name, value in entry.local.items()
            if name in base and base[name] != value and name not in seen
        ]  # fmt: skip
    return rows


def _keyword_summary(pull: KeywordPull) -> dict[str, list[str]]:
    return {"added": list(pull.add), "removed": list(pull.remove)}

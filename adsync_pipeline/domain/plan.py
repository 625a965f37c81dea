"""The push plan: what a push would do to each entity, decided from local data alone.

`make_plan` is pure: it reads the campaign set and each entity's `SyncState` (the ledger)
and returns ordered operations; the applier performs them. A dry run is the plan itself.

Rules, in order of precedence for one entity:
- open conflict → skip (a person must resolve it first); a keyword whose ad group has one
  is skipped too, since writing it sends the group's whole targeting;
- failed and given up (attempts >= MAX_ATTEMPTS) → skip, unless `include_given_up`;
- failed and its retry not yet due → skip, unless `force`;
- removed (itself or an ancestor): with a platform id → delete, once; without → noop;
- no platform id → create (skip "blocked by parent" when the parent can never get an id
  in this push because the parent itself is skipped);
- fingerprint differs from the last pushed one → update, naming the fields that differ
  from the stored base (`platform_data["pushed"]`); else noop.

Deletes do not cascade: Reddit has no DELETE verb, a delete is a PATCH of
`configured_status: DELETED`, and the spec documents no effect on children. Every removed
campaign, ad group and ad with a platform id therefore gets its own delete. Keywords are
the exception: they live inside their ad group's targeting and vanish with it.

After any successful write the applier stores `op.fingerprint` as the entity's
`last_pushed_fingerprint`; a delete's fingerprint is `DELETED_FINGERPRINT`, which is how a
later plan knows the delete already happened.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from enum import StrEnum

from adsync_pipeline.domain.fingerprint import fingerprint, pushable_fields
from adsync_pipeline.domain.model import (
    AdGroup,
    Campaign,
    CampaignSet,
    Entity,
    EntityStatus,
    EntityType,
    Keyword,
    SyncStatus,
    entity_type_of,
)
from adsync_pipeline.domain.pause import resume_status
from adsync_pipeline.domain.reconcile import PUSHED

MAX_ATTEMPTS = 3
DELETED_FINGERPRINT = "deleted"

REASON_CONFLICT = "open conflict"
REASON_GIVEN_UP = f"gave up after {MAX_ATTEMPTS} attempts; run adsync retry"
REASON_BLOCKED = "blocked by parent"

# Canonical field -> its path in the import format, the names a person wrote.
FIELD_NAMES = {
    "budget_type": "budget.type",
    "budget_amount": "budget.amount",
    "budget_currency": "budget.currency",
    "bid_strategy": "bidding.strategy",
    "bid_amount": "bidding.amount",
    "subreddits": "targeting.subreddits",
    "interests": "targeting.interests",
    "locations": "targeting.locations",
    "devices": "targeting.devices",
}


class OpKind(StrEnum):
    CREATE = "create"
    UPDATE = "update"
    PAUSE = "pause"
    RESUME = "resume"
    DELETE = "delete"
    NOOP = "noop"
    SKIP = "skip"


WRITE_KINDS = frozenset({OpKind.CREATE, OpKind.UPDATE, OpKind.PAUSE, OpKind.RESUME, OpKind.DELETE})

# Apply order: each level needs the platform ids of the one before it.
LEVELS: tuple[frozenset[EntityType], ...] = (
    frozenset({EntityType.CAMPAIGN}),
    frozenset({EntityType.AD_GROUP}),
    frozenset({EntityType.AD, EntityType.KEYWORD}),
)
_LEVEL_OF = {entity_type: index for index, level in enumerate(LEVELS) for entity_type in level}
_TYPE_ORDER = (EntityType.CAMPAIGN, EntityType.AD_GROUP, EntityType.AD, EntityType.KEYWORD)


@dataclass(frozen=True)
class PlannedOp:
    op: OpKind
    entity_type: EntityType
    key_path: tuple[str, ...]
    entity_id: int | None
    name: str
    platform_id: str | None
    parent_key_path: tuple[str, ...] | None
    reason: str
    fingerprint: str
    # An update's fields (as the import format names them) that differ from the base.
    changed_fields: tuple[str, ...] = ()

    @property
    def is_write(self) -> bool:
        return self.op in WRITE_KINDS


@dataclass(frozen=True)
class Plan:
    set_name: str
    ops: tuple[PlannedOp, ...]

    @property
    def writes(self) -> list[PlannedOp]:
        return [op for op in self.ops if op.is_write]

    def levels(self) -> list[list[PlannedOp]]:
        """Ops grouped by apply level (campaigns, ad groups, ads and keywords)."""
        grouped: list[list[PlannedOp]] = [[] for _ in LEVELS]
        for op in self.ops:
            grouped[_LEVEL_OF[op.entity_type]].append(op)
        return grouped

    def counts(self) -> dict[EntityType, dict[OpKind, int]]:
        tally = Counter((op.entity_type, op.op) for op in self.ops)
        return {t: {kind: tally[(t, kind)] for kind in OpKind} for t in _TYPE_ORDER}


@dataclass(frozen=True)
class _Options:
    now: datetime
    force: bool
    include_given_up: bool


def make_plan(
    campaign_set: CampaignSet,
    now: datetime,
    *,
    force: bool = False,
    include_given_up: bool = False,
) -> Plan:
    options = _Options(now=_aware(now), force=force, include_given_up=include_given_up)
    ops = list(_plan_campaigns(campaign_set.campaigns, options))
    return Plan(set_name=campaign_set.name, ops=_ordered(ops))


def make_status_plan(campaign_set: CampaignSet, target: EntityStatus) -> Plan:
    """Pause or resume a whole set: one pause/resume op per campaign on the platform.

    Resuming brings each campaign back to its authored status (`resume_status`): active
    ones are resumed, one the file authors as paused is paused (again). Each op's
    fingerprint is that of the campaign with its new status: the applier sets the local
    status too (local stays the source of truth), and the next plan sees no change.
    """
    if target not in (EntityStatus.ACTIVE, EntityStatus.PAUSED):
        raise ValueError(f"a set can only be paused or resumed, not set to {target}")
    ops = []
    for campaign in campaign_set.campaigns:
        if campaign.sync.removed:
            continue
        status = target if target is EntityStatus.PAUSED else resume_status(campaign)
        kind = OpKind.RESUME if status is EntityStatus.ACTIVE else OpKind.PAUSE
        ops.append(_status_op(campaign, status, kind))
    return Plan(set_name=campaign_set.name, ops=tuple(ops))


# --- per entity ---------------------------------------------------------------------------


def _plan_campaigns(campaigns: list[Campaign], options: _Options) -> Iterator[PlannedOp]:
    for campaign in campaigns:
        op = _decide(campaign, (campaign.key,), None, None, options)
        yield op
        for group in campaign.ad_groups:
            yield from _plan_ad_group(group, campaign, op, options)


def _plan_ad_group(
    group: AdGroup, campaign: Campaign, parent: PlannedOp, options: _Options
) -> Iterator[PlannedOp]:
    op = _decide(group, (campaign.key, group.key), parent, campaign.sync.removed, options)
    yield op
    removed = campaign.sync.removed or group.sync.removed
    for ad in group.ads:
        yield _decide(ad, (*op.key_path, ad.key), op, removed, options)
    for keyword in group.keywords:
        yield _plan_keyword(keyword, group, op, removed, options)


def _plan_keyword(
    keyword: Keyword, group: AdGroup, parent: PlannedOp, removed: bool, options: _Options
) -> PlannedOp:
    op = _decide(keyword, (*parent.key_path, keyword.key), parent, removed, options)
    if op.op is OpKind.DELETE and removed:
        # The keyword list goes with the ad group's targeting: no call of its own.
        return replace(op, op=OpKind.NOOP, reason=f"removed with ad group {group.key!r}")
    if op.is_write and group.sync.sync_status is SyncStatus.CONFLICT:
        # Writing a keyword sends the group's whole targeting: it would overwrite the
        # platform's side of the group's conflict (its keyword list or another field).
        return replace(op, op=OpKind.SKIP, reason=f"{REASON_CONFLICT} on ad group {group.key!r}")
    return op


def _decide(
    entity: Entity,
    key_path: tuple[str, ...],
    parent: PlannedOp | None,
    ancestor_removed: bool | None,
    options: _Options,
) -> PlannedOp:
    sync = entity.sync
    removed = sync.removed or bool(ancestor_removed)
    current = fingerprint(entity)

    def op(
        kind: OpKind, reason: str = "", fp: str = current, changed: tuple[str, ...] = ()
    ) -> PlannedOp:
        return PlannedOp(
            op=kind,
            entity_type=entity_type_of(entity),
            key_path=key_path,
            entity_id=entity.id,
            name=_name_of(entity),
            platform_id=sync.platform_id,
            parent_key_path=parent.key_path if parent else None,
            reason=reason,
            fingerprint=fp,
            changed_fields=changed,
        )

    skip_reason = _skip_reason(entity, options)
    if skip_reason:
        return op(OpKind.SKIP, skip_reason)
    if removed:
        if sync.platform_id is None:
            return op(OpKind.NOOP, "removed; nothing on the platform")
        if sync.last_pushed_fingerprint == DELETED_FINGERPRINT:
            return op(OpKind.NOOP, "already deleted", DELETED_FINGERPRINT)
        return op(OpKind.DELETE, "removed locally", DELETED_FINGERPRINT)
    if sync.platform_id is None:
        if parent is not None and parent.op is OpKind.SKIP and parent.platform_id is None:
            return op(OpKind.SKIP, REASON_BLOCKED)
        return op(OpKind.CREATE, "not on the platform yet")
    if current != sync.last_pushed_fingerprint:
        changed = changed_fields(entity)
        return op(OpKind.UPDATE, _update_reason(changed), changed=changed or ())
    return op(OpKind.NOOP)


def changed_fields(entity: Entity) -> tuple[str, ...] | None:
    """The fields that differ between the entity's base (what the last push or pull left
    on the platform) and the entity now, as the import format names them; None when no
    base is stored (entities pushed before bases were kept)."""
    base = (entity.sync.platform_data or {}).get(PUSHED)
    if base is None:
        return None
    current = pushable_fields(entity)
    names = [name for name in current if base.get(name) != current[name]]
    names += [name for name in base if name not in current]
    return tuple(FIELD_NAMES.get(name, name) for name in names)


def _update_reason(changed: tuple[str, ...] | None) -> str:
    if changed is None:
        return "changed since the last push (no base stored to name the fields)"
    if not changed:
        return "changed since the last push"
    return f"{', '.join(changed)} changed since the last push"


def _skip_reason(entity: Entity, options: _Options) -> str | None:
    sync = entity.sync
    if sync.sync_status is SyncStatus.CONFLICT:
        return REASON_CONFLICT
    if sync.sync_status is not SyncStatus.FAILED:
        return None
    if sync.attempts >= MAX_ATTEMPTS and not options.include_given_up:
        return REASON_GIVEN_UP
    due = sync.next_attempt_at
    if due is not None and _aware(due) > options.now and not options.force:
        return f"retry not due until {_aware(due).isoformat()}"
    return None


def _status_op(campaign: Campaign, target: EntityStatus, kind: OpKind) -> PlannedOp:
    sync = campaign.sync
    target_fp = fingerprint(replace(campaign, status=target))

    def op(op_kind: OpKind, reason: str) -> PlannedOp:
        return PlannedOp(
            op=op_kind,
            entity_type=EntityType.CAMPAIGN,
            key_path=(campaign.key,),
            entity_id=campaign.id,
            name=campaign.name,
            platform_id=sync.platform_id,
            parent_key_path=None,
            reason=reason,
            fingerprint=target_fp,
        )

    if sync.sync_status is SyncStatus.CONFLICT:
        return op(OpKind.SKIP, REASON_CONFLICT)
    if sync.platform_id is None:
        return op(OpKind.SKIP, "not on the platform yet; push the set first")
    if campaign.status is target and sync.last_pushed_fingerprint == target_fp:
        return op(OpKind.NOOP, f"already {target.value}")
    return op(kind, f"set {kind.value}d")


def _name_of(entity: Entity) -> str:
    return entity.text if isinstance(entity, Keyword) else entity.name


def _ordered(ops: list[PlannedOp]) -> tuple[PlannedOp, ...]:
    # Stable sort: traversal order is kept inside each level.
    return tuple(sorted(ops, key=lambda op: _LEVEL_OF[op.entity_type]))


def _is_under(key_path: tuple[str, ...], parent: tuple[str, ...]) -> bool:
    return len(key_path) > len(parent) and key_path[: len(parent)] == parent


def _aware(moment: datetime) -> datetime:
    # The store may hand back naive UTC datetimes (SQLite); compare them as UTC.
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)

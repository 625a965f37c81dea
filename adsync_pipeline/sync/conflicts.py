"""Resolving a conflict: a person picks the local or the platform side of one field.

- `platform`: the local entity takes the platform's value, and that value becomes the base.
- `local`: the platform's value becomes the base (it is what the platform holds), so the
  local value differs from it and the next push sends it; resolution runs that push.

Either way, once no other conflict of the entity is open, its fingerprint and status are
recomputed from the new base: `synced` when local equals the platform, else `pending` and
pushed now, so both choices leave the entity `synced` after a successful push. A deletion
on the platform is settled for the entity's live descendants too, because an ad group
cannot move to another campaign nor an ad to another ad group: with `platform` the entity
and its descendants are removed locally, with no call (what is left of them on Reddit hangs
under a parent that is gone); with `local` they forget their platform ids and are created
again. Open conflicts of the descendants are settled with it.

An ad group's `keywords` conflict is settled on its keyword rows (the ad group's own fields
are not involved): `platform` makes the rows the conflict recorded what the platform lists,
`synced`, while keywords added or removed locally since the conflict opened are later edits,
kept and pushed; `local` releases the rows held back by the conflict, and the push writes the
local list. While such a conflict is open no keyword of the group is written: that would send
the group's whole targeting over the platform's side.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from adsync_pipeline.domain.fingerprint import fingerprint, fingerprint_of_fields, pushable_fields
from adsync_pipeline.domain.model import (
    AdGroup,
    Campaign,
    Entity,
    EntityType,
    SyncStatus,
    entity_type_of,
)
from adsync_pipeline.domain.plan import DELETED_FINGERPRINT
from adsync_pipeline.domain.pulled import marked
from adsync_pipeline.domain.reconcile import DELETED_FIELD, KEYWORDS, PUSHED, KeywordPull
from adsync_pipeline.errors import AdsyncError, NotFoundError
from adsync_pipeline.store.campaign_sets import CampaignSetRepository
from adsync_pipeline.store.conflicts import ConflictRecord, ConflictRepository
from adsync_pipeline.store.db import Database
from adsync_pipeline.store.models import utcnow
from adsync_pipeline.sync.push import index_entities
from adsync_pipeline.sync.reconcile import keyword_writes_pending, synced_keyword, take_keywords
from adsync_pipeline.sync.results import PushResult
from adsync_pipeline.sync.runner import run_push

SIDES = ("local", "platform")
Pusher = Callable[[Database, int], PushResult]


@dataclass(frozen=True)
class Resolution:
    conflict: ConflictRecord
    sync_status: SyncStatus
    push: PushResult | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "conflict": self.conflict.to_dict(),
            "sync_status": self.sync_status.value,
            "push": self.push.to_dict() if self.push is not None else None,
        }


def _push(db: Database, set_id: int) -> PushResult:
    return run_push(db, set_id, trigger="conflict")


def resolve_conflict(
    db: Database,
    conflict_id: int,
    use: str,
    resolved_by: str,
    *,
    push: Pusher | None = _push,
) -> Resolution:
    """Resolve one open conflict; `push=None` leaves a pending entity for the next push."""
    if use not in SIDES:
        raise AdsyncError(f"--use must be one of {', '.join(SIDES)}, not {use!r}")
    conflicts = ConflictRepository(db)
    conflict = conflicts.get(conflict_id)
    if not conflict.is_open:
        raise AdsyncError(
            f"conflict {conflict_id} was already resolved ({conflict.resolution}) by "
            f"{conflict.resolved_by} at {conflict.resolved_at}"
        )
    sets = CampaignSetRepository(db)
    entity_type = EntityType(conflict.entity_type)
    entity = _entity(sets, conflict)
    if conflict.field == DELETED_FIELD:
        status = _resolve_deletion(sets, conflicts, entity_type, entity, use, resolved_by)
    elif conflict.field == KEYWORDS and isinstance(entity, AdGroup):
        status = _resolve_keywords(sets, conflicts, entity, conflict, use)
    else:
        status = _resolve_field(sets, conflicts, entity_type, entity, conflict, use)
    resolved = conflicts.resolve(conflict_id, use, resolved_by)
    result = None
    if status is SyncStatus.PENDING and push is not None:
        result = push(db, conflict.campaign_set_id)
        status = _entity(sets, conflict).sync.sync_status
    return Resolution(resolved, status, result)


def _entity(sets: CampaignSetRepository, conflict: ConflictRecord) -> Entity:
    campaign_set = sets.load(conflict.campaign_set_id)
    for entity in index_entities(campaign_set).values():
        if entity_type_of(entity).value == conflict.entity_type and entity.id == conflict.entity_id:
            return entity
    raise NotFoundError(f"{conflict.entity_type} {conflict.entity_id} of conflict not found")


def _resolve_field(
    sets: CampaignSetRepository,
    conflicts: ConflictRepository,
    entity_type: EntityType,
    entity: Entity,
    conflict: ConflictRecord,
    use: str,
) -> SyncStatus:
    assert entity.id is not None
    local = pushable_fields(entity)
    platform_data = dict(entity.sync.platform_data or {})
    base = {**(platform_data.get(PUSHED) or local), conflict.field: conflict.remote}
    if use == "platform":
        sets.update_entity_fields(entity_type, entity.id, {conflict.field: conflict.remote})
        local[conflict.field] = conflict.remote
    others_open = [
        c for c in conflicts.list(entity=(entity_type.value, entity.id)) if c.id != conflict.id
    ]
    new_fingerprint = fingerprint_of_fields(base)
    if others_open:
        status = SyncStatus.CONFLICT
    elif fingerprint_of_fields(local) == new_fingerprint:
        status = SyncStatus.SYNCED
    else:
        status = SyncStatus.PENDING
    platform_data = {**platform_data, PUSHED: base}
    if use == "platform":
        # Taken from the platform like a pull: a re-import must not quietly undo it.
        platform_data = marked(platform_data, {conflict.field: conflict.remote}, utcnow())
    sets.update_entity(
        entity_type,
        entity.id,
        platform_data=platform_data,
        last_pushed_fingerprint=new_fingerprint,
        sync_status=status,
        attempts=0,
        next_attempt_at=None,
        last_error=None,
    )
    return status


def _resolve_deletion(
    sets: CampaignSetRepository,
    conflicts: ConflictRepository,
    entity_type: EntityType,
    entity: Entity,
    use: str,
    resolved_by: str,
) -> SyncStatus:
    assert entity.id is not None
    if use == "platform":
        changes: dict[str, Any] = {
            "removed_at": utcnow(),
            "last_pushed_fingerprint": DELETED_FINGERPRINT,
            "sync_status": SyncStatus.SYNCED,
            "attempts": 0,
            "next_attempt_at": None,
            "last_error": None,
        }
    else:
        # Created again by the next push: nothing on the platform to update any more.
        changes = {
            "platform_id": None,
            "platform_data": None,
            "last_pushed_fingerprint": None,
            "sync_status": SyncStatus.PENDING,
            "attempts": 0,
            "next_attempt_at": None,
            "last_error": None,
        }
    descendants = [(entity_type_of(d), d.id) for d in _live_descendants(entity)]
    updates: dict[EntityType, list[tuple[int, dict[str, Any]]]] = {}
    for type_, id_ in [(entity_type, entity.id), *descendants]:
        assert id_ is not None
        updates.setdefault(type_, []).append((id_, changes))
    sets.update_entities(updates)
    settled = {(type_.value, id_) for type_, id_ in descendants}
    for open_conflict in conflicts.list():
        if (open_conflict.entity_type, open_conflict.entity_id) in settled:
            conflicts.resolve(open_conflict.id, use, resolved_by)
    return SyncStatus.SYNCED if use == "platform" else SyncStatus.PENDING


def _live_descendants(entity: Entity) -> list[Entity]:
    groups = entity.ad_groups if isinstance(entity, Campaign) else []
    if isinstance(entity, AdGroup):
        groups = [entity]
    found: list[Entity] = []
    for group in groups:
        if group is not entity:
            if group.sync.removed:
                continue
            found.append(group)
        found.extend(child for child in [*group.ads, *group.keywords] if not child.sync.removed)
    return found


def _resolve_keywords(
    sets: CampaignSetRepository,
    conflicts: ConflictRepository,
    group: AdGroup,
    conflict: ConflictRecord,
    use: str,
) -> SyncStatus:
    assert group.id is not None
    set_id = conflict.campaign_set_id
    updates: list[tuple[int, dict[str, Any], dict[str, Any]]] = []
    if use == "platform":
        remote = set(conflict.remote or ())
        live = {k.text for k in group.keywords if not k.sync.removed}
        # The platform's list wins over the local side the conflict recorded. Keywords added
        # or removed locally since are later edits: kept, and pushed.
        recorded = set(conflict.local) if conflict.local is not None else live
        removed_since = recorded - live
        pull = KeywordPull(tuple(remote - live - removed_since), tuple((live & recorded) - remote))
        take_keywords(sets, set_id, group, pull)
        group = _entity(sets, conflict)
        assert isinstance(group, AdGroup)
        for keyword in group.keywords:
            assert keyword.id is not None
            on_platform = keyword.text in remote
            if on_platform == keyword.sync.removed:
                # A later edit the platform does not have yet: the push sends it.
                settled: dict[str, Any] = {"sync_status": SyncStatus.PENDING, "attempts": 0}
            elif keyword.sync.removed:
                settled = {"sync_status": SyncStatus.SYNCED}
                if keyword.sync.platform_id is not None:
                    settled["last_pushed_fingerprint"] = DELETED_FINGERPRINT
            else:
                _, settled = synced_keyword(group, keyword.text)
                settled["platform_data"] = {
                    # The mark of a keyword taken from the platform's list stays.
                    **(keyword.sync.platform_data or {}),
                    PUSHED: pushable_fields(keyword),
                }
                settled["last_pushed_fingerprint"] = fingerprint(keyword)
            updates.append((keyword.id, {}, settled))
    else:
        for keyword in group.keywords:
            if keyword.id is not None and keyword.sync.sync_status is SyncStatus.CONFLICT:
                pending = keyword_writes_pending(keyword)
                status = SyncStatus.PENDING if pending else SyncStatus.SYNCED
                updates.append((keyword.id, {}, {"sync_status": status, "attempts": 0}))
    sets.write_keywords(set_id, group.id, [], updates)
    others_open = [
        c
        for c in conflicts.list(entity=(EntityType.AD_GROUP.value, group.id))
        if c.id != conflict.id
    ]
    if others_open:
        status = SyncStatus.CONFLICT
    elif fingerprint(group) == group.sync.last_pushed_fingerprint:
        status = SyncStatus.SYNCED
    else:
        status = SyncStatus.PENDING
    sets.update_entity(EntityType.AD_GROUP, group.id, sync_status=status)
    if others_open:
        return status
    # `local`: the push writes the local list over the platform's; `platform`: it sends the
    # local edits made since the conflict opened, if any.
    group = _entity(sets, conflict)
    assert isinstance(group, AdGroup)
    if use == "local" or any(keyword_writes_pending(k) for k in group.keywords):
        return SyncStatus.PENDING
    return status

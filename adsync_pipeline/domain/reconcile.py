"""Three-way reconciliation of synced entities with their platform twins (pure, no I/O).

Per entity and per field the platform can tell:
- base   = what we last pushed (the platform held exactly this after our write),
- local  = the entity now,
- remote = the platform now (its snapshot, mapped back into our canonical fields).

remote == base → the platform did not change it (a local edit, if any, waits for the push);
local == base  → only the platform changed it: pull it, and the new base is the remote value;
local == remote → both made the same change: nothing to pull, nothing to push;
otherwise       → both changed it differently: a conflict a person resolves.

All three sides are compared through a platform's `project` function: what it would show
back for a field we pushed (Reddit shows a `draft` entity as `paused`, targeting lists are
unordered), so a value the platform cannot hold is not mistaken for an edit. Fields absent
from the projection or from the remote side (immutable after publishing, or not readable
back) are not compared at all.

An ad group's keywords are a set of texts (`KEYWORDS`), compared on their own: base = the
texts last pushed, local = the live keyword texts, remote = the platform's list. When both
sides changed it they merge element by element (each side's additions and removals kept);
only a keyword added on one side and removed on the other (the same keyword, told apart
case-insensitively, as keyword keys are) is a conflict on the whole field.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any

from adsync_pipeline.domain.fingerprint import fingerprint_of_fields
from adsync_pipeline.domain.model import EntityType, SyncStatus

Fields = dict[str, Any]
Projection = Callable[[EntityType, Fields], Fields]

# Key of `SyncState.platform_data` holding the pushable fields as last pushed (the base).
PUSHED = "pushed"
# The ad group field holding its keyword texts (remote side), and its conflict's field name.
KEYWORDS = "keywords"
DELETED_FIELD = "deleted"
DELETED_MESSAGE = "deleted on platform"


class Outcome(StrEnum):
    UNCHANGED = "unchanged"  # neither side changed
    LOCAL_ONLY = "local_only"  # only local changed: pending for the next push
    PULLED = "pulled"  # only the platform changed: local now matches it
    MERGED = "merged"  # both changed, different fields: platform fields pulled, local pushed
    CONFLICT = "conflict"  # the same field changed to different values on both sides
    DELETED = "deleted"  # gone from the platform (or DELETED there)
    SKIPPED = "skipped"  # no base to compare against, or already in conflict


@dataclass(frozen=True)
class LocalEntry:
    """A synced entity as the ledger knows it. `base` is None when it cannot be known."""

    entity_type: EntityType
    entity_id: int
    campaign_set_id: int
    key: str
    platform_id: str
    sync_status: SyncStatus
    base: Fields | None
    local: Fields
    # An ad group's keyword texts (last pushed, live now); None when not compared.
    keywords: KeywordSides | None = None


@dataclass(frozen=True)
class KeywordSides:
    base: frozenset[str]
    local: frozenset[str]


@dataclass(frozen=True)
class KeywordPull:
    """Keyword texts local takes from the platform: rows to add, rows to mark removed."""

    add: tuple[str, ...] = ()
    remove: tuple[str, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.add or self.remove)


@dataclass(frozen=True)
class RemoteEntry:
    mapped: Fields
    deleted: bool = False


@dataclass(frozen=True)
class FieldConflict:
    field: str
    base: Any
    local: Any
    remote: Any


@dataclass(frozen=True)
class EntityReconciliation:
    entry: LocalEntry
    outcome: Outcome
    # Platform values to write into the local entity.
    pulls: Fields = field(default_factory=dict)
    conflicts: tuple[FieldConflict, ...] = ()
    # What the platform holds now for the fields we push: the base of the next comparison.
    new_base: Fields | None = None
    # Keyword rows to add or remove locally (the keyword rows carry their own base).
    keyword_pull: KeywordPull = field(default_factory=KeywordPull)

    @property
    def new_fingerprint(self) -> str | None:
        """The `last_pushed_fingerprint` the ledger should now carry."""
        return fingerprint_of_fields(self.new_base) if self.new_base is not None else None

    @property
    def sync_status(self) -> SyncStatus:
        if self.outcome in (Outcome.CONFLICT, Outcome.DELETED):
            return SyncStatus.CONFLICT
        if self.outcome is Outcome.PULLED:
            return SyncStatus.SYNCED
        return SyncStatus.PENDING


def identity(entity_type: EntityType, fields: Fields) -> Fields:
    return fields


def compare_entity(
    entry: LocalEntry, remote: RemoteEntry | None, project: Projection = identity
) -> EntityReconciliation:
    result = _compare_fields(entry, remote, project)
    if (
        entry.keywords is None
        or result.outcome in (Outcome.SKIPPED, Outcome.DELETED)
        or remote is None
        or KEYWORDS not in remote.mapped  # a platform that does not show keywords back
    ):
        return result
    outcome, pull, conflict = compare_keywords(
        entry.keywords, frozenset(remote.mapped[KEYWORDS] or ())
    )
    if outcome is Outcome.UNCHANGED:
        return result
    return replace(
        result,
        outcome=_combined(result.outcome, outcome),
        conflicts=result.conflicts + ((conflict,) if conflict else ()),
        keyword_pull=pull,
    )


def compare_keywords(
    sides: KeywordSides, remote: frozenset[str]
) -> tuple[Outcome, KeywordPull, FieldConflict | None]:
    """Three-way comparison of a keyword set: (outcome, what local takes, conflict)."""
    base, local = sides.base, sides.local
    if remote == base:
        return (Outcome.LOCAL_ONLY if local != base else Outcome.UNCHANGED), KeywordPull(), None
    if local == remote:
        # The same change on both sides: nothing to pull (the local rows' push is a no-op).
        return Outcome.LOCAL_ONLY, KeywordPull(), None
    if local == base:
        pull = KeywordPull(tuple(sorted(remote - base)), tuple(sorted(base - remote)))
        return Outcome.PULLED, pull, None
    # Added on one side, removed on the other: one keyword whatever its spelling.
    if (_keys(local - base) & _keys(base - remote)) or (_keys(remote - base) & _keys(base - local)):
        conflict = FieldConflict(KEYWORDS, sorted(base), sorted(local), sorted(remote))
        return Outcome.CONFLICT, KeywordPull(), conflict
    pull = KeywordPull(
        tuple(sorted((remote - base) - local)), tuple(sorted((base - remote) & local))
    )
    merged = (local | set(pull.add)) - set(pull.remove)
    return (Outcome.MERGED if merged != remote else Outcome.PULLED), pull, None


def _keys(texts: frozenset[str]) -> set[str]:
    return {text.lower() for text in texts}


def _combined(fields: Outcome, keywords: Outcome) -> Outcome:
    both = {fields, keywords}
    if Outcome.CONFLICT in both:
        return Outcome.CONFLICT
    if Outcome.MERGED in both or both == {Outcome.PULLED, Outcome.LOCAL_ONLY}:
        return Outcome.MERGED
    if Outcome.PULLED in both:
        return Outcome.PULLED
    if Outcome.LOCAL_ONLY in both:
        return Outcome.LOCAL_ONLY
    return Outcome.UNCHANGED


def _compare_fields(
    entry: LocalEntry, remote: RemoteEntry | None, project: Projection
) -> EntityReconciliation:
    if entry.sync_status is SyncStatus.CONFLICT or entry.base is None:
        return EntityReconciliation(entry, Outcome.SKIPPED)
    if remote is None or remote.deleted:
        conflict = FieldConflict(DELETED_FIELD, False, False, True)
        return EntityReconciliation(entry, Outcome.DELETED, conflicts=(conflict,))
    base = project(entry.entity_type, entry.base)
    theirs = project(entry.entity_type, remote.mapped)
    if all(theirs.get(name, value) == value for name, value in base.items()):
        # The usual case, decided without projecting local.
        outcome = Outcome.LOCAL_ONLY if entry.local != entry.base else Outcome.UNCHANGED
        return EntityReconciliation(entry, outcome)
    local = project(entry.entity_type, entry.local)
    pulls: Fields = {}
    converged: Fields = {}
    conflicts: list[FieldConflict] = []
    for name, base_value in base.items():
        if name not in theirs:
            continue
        local_value, remote_value = local.get(name), theirs[name]
        if remote_value == base_value:
            continue
        if local_value == remote_value:
            # Keep our own spelling (e.g. `draft`, shown as `paused`): no needless push.
            converged[name] = entry.local[name]
        elif local_value == base_value:
            pulls[name] = remote_value
        else:
            conflicts.append(FieldConflict(name, entry.base[name], entry.local[name], remote_value))
    if not (pulls or converged or conflicts):
        outcome = Outcome.LOCAL_ONLY if entry.local != entry.base else Outcome.UNCHANGED
        return EntityReconciliation(entry, outcome)
    new_base = {**entry.base, **converged, **pulls}
    if conflicts:
        outcome = Outcome.CONFLICT
    elif {**entry.local, **pulls} != new_base:
        outcome = Outcome.MERGED
    else:
        outcome = Outcome.PULLED
    return EntityReconciliation(entry, outcome, pulls, tuple(conflicts), new_base)


def reconcile(
    entries: Iterable[LocalEntry],
    remote: Mapping[tuple[EntityType, str], RemoteEntry],
    project: Projection = identity,
) -> list[EntityReconciliation]:
    """Every synced entity against the snapshot, keyed by (entity type, platform id)."""
    return [
        compare_entity(entry, remote.get((entry.entity_type, entry.platform_id)), project)
        for entry in entries
    ]

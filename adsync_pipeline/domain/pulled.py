"""Values local took from the platform, kept marked until the authoring file agrees (pure).

Reconcile pulls a platform edit into local (a rename in Ads Manager). The authoring file
still says the old value, so re-importing it unchanged would make the old value local again
and the next push would send it back: the platform edit undone with no word. Each pull is
therefore marked on the entity, in `platform_data["pulled"]` (field -> value and time), and
a re-import that sets a marked field back to something else is a revert the person must
confirm. A keyword's mark is its presence: added on the platform (True) or removed (False).

A mark only counts while local still holds the pulled value. It is settled by a push that
sends another value for the field, and by every import that goes through (the file agrees,
or the person confirmed it).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from adsync_pipeline.domain.fingerprint import pushable_fields
from adsync_pipeline.domain.model import CampaignSet, Entity, EntityType, Keyword, entity_type_of
from adsync_pipeline.domain.plan import FIELD_NAMES
from adsync_pipeline.errors import AdsyncError

Fields = dict[str, Any]
Projection = Callable[[EntityType, Fields], Fields]

# Key of `SyncState.platform_data` holding the marks: {field: {"value": ..., "at": ISO time}}.
PULLED = "pulled"
# A keyword row's mark: whether the platform added it (True) or removed it (False).
PRESENT = "present"
_LEVEL = {
    EntityType.CAMPAIGN: "campaigns",
    EntityType.AD_GROUP: "ad_groups",
    EntityType.AD: "ads",
    EntityType.KEYWORD: "keywords",
}


@dataclass(frozen=True)
class Revert:
    """A pulled value that a re-import would replace with the document's."""

    path: str  # e.g. campaigns[summer].name, or ...keywords[running shoes] for a keyword
    pulled: Any
    document: Any
    pulled_at: str

    @property
    def message(self) -> str:
        if isinstance(self.pulled, bool):
            side = "added on" if self.pulled else "removed from"
            keeps = "leaves it out" if self.pulled else "still has it"
            return f"{side} the platform at {self.pulled_at}; the document {keeps}"
        return (
            f"{_shown(self.pulled)} pulled from the platform at {self.pulled_at}; "
            f"the document sets {_shown(self.document)}"
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "pulled": self.pulled,
            "document": self.document,
            "pulled_at": self.pulled_at,
            "message": self.message,
        }


class PulledFieldsReverted(AdsyncError):
    """A re-import would undo values pulled from the platform; nothing was written."""

    exit_code = 2

    def __init__(self, reverts: list[Revert]) -> None:
        lines = "\n".join(f"  {r.path}: {r.message}" for r in reverts)
        super().__init__(f"re-importing would undo {self.summary(reverts)}:\n{lines}")
        self.reverts = reverts

    @staticmethod
    def summary(reverts: list[Revert]) -> str:
        changes = "1 change" if len(reverts) == 1 else f"{len(reverts)} changes"
        return f"{changes} made on the platform and pulled into local; nothing was imported"


def marked(
    platform_data: Mapping[str, Any] | None, values: Mapping[str, Any], at: datetime
) -> dict[str, Any]:
    """`platform_data` with these pulled values marked (a newer pull replaces a mark)."""
    data = dict(platform_data or {})
    stamp = at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    marks = dict(data.get(PULLED) or {})
    marks.update({name: {"value": value, "at": stamp} for name, value in values.items()})
    data[PULLED] = marks
    return data


def unmarked(platform_data: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """`platform_data` without marks, or None when it had none (nothing to write)."""
    if not platform_data or PULLED not in platform_data:
        return None
    return {name: value for name, value in platform_data.items() if name != PULLED}


def settled_by_push(
    platform_data: Mapping[str, Any] | None,
    written: Mapping[str, Any] | None,
    pushed: Mapping[str, Any],
) -> dict[str, Any]:
    """The marks that survive a push of `pushed` fields, carried into the `written`
    platform data (an adapter may hand back fresh data without them): a mark whose field
    the push sent with another value is settled."""
    data = dict(written or {})
    data.pop(PULLED, None)
    marks = {
        name: mark
        for name, mark in ((platform_data or {}).get(PULLED) or {}).items()
        if name not in pushed or pushed[name] == mark["value"]
    }
    if marks:
        data[PULLED] = marks
    return data


def find_reverts(stored: CampaignSet, doc: CampaignSet, project: Projection) -> list[Revert]:
    """Every marked value of `stored` that importing `doc` would replace, in document order.
    Entities the document leaves out are removals, not reverts (a keyword is, as its
    presence is what the platform changed), and so are those of a parent it leaves out."""
    incoming = dict(_walk(doc))
    reverts: list[Revert] = []
    for (entity_type, keys), entity in _walk(stored):
        marks = (entity.sync.platform_data or {}).get(PULLED) or {}
        if not marks:
            continue
        path = _path(entity_type, keys)
        twin = incoming.get((entity_type, keys))
        if isinstance(entity, Keyword):
            mark = marks.get(PRESENT)
            parent_kept = (EntityType.AD_GROUP, keys[:-1]) in incoming
            # A mark counts while local still holds the platform's side (present or not).
            if mark and mark["value"] == (not entity.sync.removed) and parent_kept:
                present = twin is not None
                if present is not mark["value"]:
                    reverts.append(Revert(path, mark["value"], present, mark["at"]))
            continue
        if twin is None or entity.sync.removed:
            continue
        local, wanted = pushable_fields(entity), pushable_fields(twin)
        for name, mark in marks.items():
            if name not in local:
                continue
            if not _same(project, entity_type, name, local[name], mark["value"]):
                continue  # local moved on since the pull: nothing of the platform's to undo
            if not _same(project, entity_type, name, wanted[name], mark["value"]):
                field = FIELD_NAMES.get(name, name)
                reverts.append(Revert(f"{path}.{field}", mark["value"], wanted[name], mark["at"]))
    return reverts


def _same(project: Projection, entity_type: EntityType, name: str, a: Any, b: Any) -> bool:
    """Equal as the platform shows them (e.g. `draft` and `paused` look alike on Reddit)."""
    shown_a = project(entity_type, {name: a}).get(name, a)
    shown_b = project(entity_type, {name: b}).get(name, b)
    return bool(shown_a == shown_b)


def _walk(campaign_set: CampaignSet) -> Iterator[tuple[tuple[EntityType, tuple[str, ...]], Entity]]:
    for campaign in campaign_set.campaigns:
        yield (EntityType.CAMPAIGN, (campaign.key,)), campaign
        for group in campaign.ad_groups:
            group_keys = (campaign.key, group.key)
            yield (EntityType.AD_GROUP, group_keys), group
            for child in [*group.ads, *group.keywords]:
                yield (entity_type_of(child), (*group_keys, child.key)), child


def _path(entity_type: EntityType, keys: tuple[str, ...]) -> str:
    levels = [EntityType.CAMPAIGN, EntityType.AD_GROUP, entity_type][: len(keys)]
    return ".".join(f"{_LEVEL[level]}[{key}]" for level, key in zip(levels, keys, strict=True))


def _shown(value: Any) -> str:
    return repr(value) if isinstance(value, str) else str(value)

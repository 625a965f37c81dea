"""The contract of a platform poller: the state of a whole ad account, read in bulk.

A snapshot is read through list endpoints only (never one GET per entity), and each entity
is mapped back into our canonical pushable fields (`domain.fingerprint.pushable_fields`
form), so reconciliation compares values by plain equality.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from adsync_pipeline.domain.model import EntityType

Fields = dict[str, Any]


@dataclass(frozen=True)
class SnapshotEntity:
    entity_type: EntityType
    platform_id: str
    parent_platform_id: str | None
    # Our pushable field names → canonical values, for the fields the platform can tell.
    mapped: Fields
    # The platform's own payload, kept for display and for the next snapshot.
    raw: Fields
    # For display only: the delivery status lags writes by minutes, so it is never compared.
    effective_status: str | None = None
    rejection_reason: str | None = None
    # DELETED on the platform (still listed): reconciliation treats it like a missing entity.
    deleted: bool = False


@dataclass
class AccountSnapshot:
    platform: str
    account_id: str
    entities: dict[EntityType, list[SnapshotEntity]] = field(default_factory=dict)
    # Platform calls made to read it, by kind ("campaigns", "ad_groups", "ads", "posts").
    calls: dict[str, int] = field(default_factory=dict)

    def all(self) -> list[SnapshotEntity]:
        return [entity for entities in self.entities.values() for entity in entities]

    @property
    def total_calls(self) -> int:
        return sum(self.calls.values())


class PlatformPoller(Protocol):
    platform: str

    async def snapshot_account(
        self,
        account_id: str,
        *,
        known: Mapping[str, Fields] | None = None,
        own_ad_groups: Collection[str] | None = None,
    ) -> AccountSnapshot:
        """The whole ad account. `known` holds creative payloads seen before, by id (on
        Reddit: posts, whose copy is immutable), so they are not fetched again.
        `own_ad_groups`: the platform ids of our ad groups, where a campaign's fields are
        rebuilt from its ad groups (Reddit budgets): others' groups are left out of them."""
        ...

    def known_creatives(
        self, previous: Iterable[Fields], ledger: Iterable[tuple[Fields | None, Fields]]
    ) -> dict[str, Fields]:
        """The `known` argument of the next snapshot: creatives in the raw payloads of the
        previous snapshot's ads, and those our own pushes created, from each ad's ledger
        `platform_data` and the fields it pushed."""
        ...

    def comparable(self, entity_type: EntityType, fields: Fields) -> Fields:
        """Our canonical fields as the platform would show them back: only the fields it
        can tell and a person can change there, in the platform's spelling of them."""
        ...

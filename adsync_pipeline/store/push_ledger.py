"""The push engine's writes, grouped so that each entity's outcome is one commit.

One transaction carries an entity's new ledger state together with the audit rows of the
calls made so far, the progress events waiting to be published and the resolution of its
create intent. Fewer, larger commits keep the store off a push's critical path; none of
the grouping weakens ordering: an outcome is committed before any call that depends on it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, Table, bindparam, func, insert, select, update

from adsync_pipeline.domain.model import EntityType, SyncStatus
from adsync_pipeline.store.campaign_sets import CampaignSetRepository
from adsync_pipeline.store.db import Database
from adsync_pipeline.store.models import CreateIntent, SyncAudit, SyncEvent, utcnow
from adsync_pipeline.store.sync_log import AuditEntry

AUDIT: Table = SyncAudit.__table__  # type: ignore[assignment]
EVENTS: Table = SyncEvent.__table__  # type: ignore[assignment]
INTENTS: Table = CreateIntent.__table__  # type: ignore[assignment]


@dataclass(frozen=True)
class NewIntent:
    entity_type: EntityType
    entity_id: int
    parent_platform_id: str | None
    name: str


@dataclass(frozen=True)
class EventRow:
    campaign_set_id: int
    event_type: str
    payload: dict[str, Any]
    run_id: str | None
    sync_request_id: int | None


@dataclass
class OutcomeWrite:
    entity_type: EntityType | None = None
    entity_id: int | None = None
    sync_changes: dict[str, Any] = field(default_factory=dict)
    field_changes: dict[str, Any] = field(default_factory=dict)
    # (intent id, outcome, platform id) of the create this outcome settles.
    intent: tuple[int, str, str | None] | None = None
    audits: list[AuditEntry] = field(default_factory=list)
    events: list[EventRow] = field(default_factory=list)
    # The fingerprint of the content this outcome's call sent. When the stored content
    # differs by the time the outcome commits (an import edited it meanwhile), the entity
    # stays pending: what was sent is its base, and the edit is pushed next time.
    sent_fingerprint: str | None = None


class PushLedger:
    def __init__(self, db: Database) -> None:
        self.db = db
        self.sets = CampaignSetRepository(db)

    def creates_cut_short(self, campaign_set_id: int) -> set[tuple[EntityType, int]]:
        """Entities whose latest create intent was looked up and not found: a killed push
        sent (or was about to send) that create, and may have left a piece of it behind."""
        latest = (
            select(func.max(INTENTS.c.id))
            .where(INTENTS.c.campaign_set_id == campaign_set_id)
            .group_by(INTENTS.c.entity_type, INTENTS.c.entity_id)
        )
        query = select(INTENTS.c.entity_type, INTENTS.c.entity_id).where(
            INTENTS.c.id.in_(latest), INTENTS.c.outcome == "not_found"
        )
        with self.db.engine.connect() as conn:
            return {(EntityType(kind), entity_id) for kind, entity_id in conn.execute(query)}

    def record_intents(
        self, campaign_set_id: int, run_id: str | None, intents: list[NewIntent]
    ) -> list[int]:
        """Intents of creates under one parent, committed together before any is sent."""
        if not intents:
            return []
        now = utcnow()
        rows = [
            {
                "campaign_set_id": campaign_set_id,
                "entity_type": intent.entity_type.value,
                "entity_id": intent.entity_id,
                "parent_platform_id": intent.parent_platform_id,
                "name": intent.name,
                "run_id": run_id,
                "created_at": now,
            }
            for intent in intents
        ]
        # One batched INSERT ... RETURNING: the creates under a parent wait for this commit.
        statement = insert(INTENTS).returning(INTENTS.c.id, sort_by_parameter_order=True)
        with self.db.engine.begin() as conn:
            return list(conn.execute(statement, rows).scalars())

    def _keep_edited_pending(self, conn: Connection, writes: list[OutcomeWrite]) -> None:
        sent: dict[EntityType, dict[int, str]] = {}
        for write in writes:
            if write.sent_fingerprint is None or write.entity_type is None:
                continue
            assert write.entity_id is not None
            sent.setdefault(write.entity_type, {})[write.entity_id] = write.sent_fingerprint
        for entity_type, by_id in sent.items():
            current = self.sets.content_fingerprints(conn, entity_type, list(by_id))
            edited = [
                (entity_id, {"sync_status": SyncStatus.PENDING})
                for entity_id, fingerprint in by_id.items()
                if entity_id in current and current[entity_id] != fingerprint
            ]
            self.sets.write_entities(conn, entity_type, edited)

    def commit(self, write: OutcomeWrite) -> None:
        self.commit_many([write])

    def commit_many(self, writes: list[OutcomeWrite]) -> None:
        """Outcomes that are ready together, in one transaction: all of them or none."""
        now = utcnow()
        entity_updates: dict[EntityType, list[tuple[int, dict[str, Any]]]] = {}
        with self.db.engine.begin() as conn:
            for write in writes:
                if write.entity_type is None or write.entity_id is None:
                    continue
                if write.field_changes:
                    self.sets.write_entity_fields(
                        conn, write.entity_type, write.entity_id, write.field_changes
                    )
                if write.sync_changes:
                    entity_updates.setdefault(write.entity_type, []).append(
                        (write.entity_id, write.sync_changes)
                    )
            for entity_type, updates in entity_updates.items():
                self.sets.write_entities(conn, entity_type, updates)
            # Read after writing: the writes hold the rows, so an import cannot slip in
            # between this check and the commit.
            self._keep_edited_pending(conn, writes)
            intents = [
                {"_id": w.intent[0], "outcome": w.intent[1], "platform_id": w.intent[2]}
                for w in writes
                if w.intent is not None
            ]
            if intents:
                conn.execute(
                    update(INTENTS)
                    .where(INTENTS.c.id == bindparam("_id"))
                    .values(
                        resolved_at=now,
                        outcome=bindparam("outcome"),
                        platform_id=bindparam("platform_id"),
                    ),
                    intents,
                )
            audits = [
                {**a.__dict__, "created_at": a.created_at or now} for w in writes for a in w.audits
            ]
            if audits:
                conn.execute(insert(AUDIT), audits)
            events = [{**e.__dict__, "created_at": now} for w in writes for e in w.events]
            if events:
                conn.execute(insert(EVENTS), events)

"""Campaign sets in the store: load whole hierarchies, import documents, record sync state.

Reads go through SQLAlchemy Core and build the domain dataclasses directly: a set of
10,000 ads loads in a fixed five statements (one per level, thanks to the denormalised
`campaign_set_id` columns) without ORM identity-map overhead. Every write method is one
committed transaction of its own.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from enum import Enum
from typing import Any

from sqlalchemy import (
    Connection,
    Row,
    Table,
    TextClause,
    bindparam,
    func,
    insert,
    literal,
    select,
    text,
    update,
)

from adsync_pipeline.bulk import collector_paused
from adsync_pipeline.domain.fingerprint import fingerprint, fingerprint_of_fields, pushable_fields
from adsync_pipeline.domain.model import (
    Ad,
    AdGroup,
    Bidding,
    BidStrategy,
    Budget,
    BudgetType,
    CallToAction,
    Campaign,
    CampaignSet,
    Device,
    Entity,
    EntityStatus,
    EntityType,
    Keyword,
    MatchType,
    SetStatus,
    SyncState,
    SyncStatus,
    Targeting,
)
from adsync_pipeline.domain.pause import authored_while_paused
from adsync_pipeline.domain.pulled import unmarked
from adsync_pipeline.domain.text import printable
from adsync_pipeline.errors import AdsyncError, NotFoundError
from adsync_pipeline.store.db import Database
from adsync_pipeline.store.models import (
    AdAccount,
    AdGroupRow,
    AdRow,
    CampaignRow,
    CampaignSetRow,
    KeywordRow,
    SyncRecord,
    utcnow,
)
from adsync_pipeline.store.types import NOT_A_NUMBER, money_problem

ACCOUNTS: Table = AdAccount.__table__  # type: ignore[assignment]
SETS: Table = CampaignSetRow.__table__  # type: ignore[assignment]
RECORDS: Table = SyncRecord.__table__  # type: ignore[assignment]
TABLES: dict[EntityType, Table] = {
    EntityType.CAMPAIGN: CampaignRow.__table__,  # type: ignore[dict-item]
    EntityType.AD_GROUP: AdGroupRow.__table__,  # type: ignore[dict-item]
    EntityType.AD: AdRow.__table__,  # type: ignore[dict-item]
    EntityType.KEYWORD: KeywordRow.__table__,  # type: ignore[dict-item]
}
# The ledger columns every entity carries, in the order `load` reads them.
SYNC_SELECT = (
    "platform_id",
    "sync_status",
    "last_pushed_fingerprint",
    "last_synced_at",
    "last_error",
    "attempts",
    "next_attempt_at",
    # Accepting a deletion made on the platform marks the entity removed locally too.
    "removed_at",
    "platform_data",
)
SYNC_COLUMNS = frozenset(SYNC_SELECT)
TARGETING_FIELDS = ("subreddits", "interests", "locations", "devices")
MONEY_COLUMNS = frozenset({"budget_amount", "bid_amount"})
TIME_COLUMNS = frozenset({"start_time", "end_time", "last_synced_at", "next_attempt_at"})
# Rows per INSERT executemany of an import: bounds the parameters held at once.
INSERT_BATCH = 5000
# The column naming an entity's parent, below the set.
_PARENT_COLUMN = {
    EntityType.AD_GROUP: "campaign_id",
    EntityType.AD: "ad_group_id",
    EntityType.KEYWORD: "ad_group_id",
}
# The error log keeps the latest entries only: it is a diagnostic aid, not the audit log.
ERROR_LOG_LIMIT = 50


@dataclass(frozen=True)
class CampaignSetSummary:
    id: int
    name: str
    platform: str
    ad_account_id: str
    status: SetStatus
    sync_status: SyncStatus
    revision: int
    campaigns: int
    ad_groups: int
    ads: int
    keywords: int
    last_synced_at: datetime | None
    # Why the set cannot be loaded (an amount no store column holds, an unknown status),
    # or None. Account-wide work skips such a set; a valid re-import repairs it.
    unreadable: str | None = None


@dataclass(frozen=True)
class CampaignSetHeader:
    """A set's own row (and its account's platform id), without its hierarchy."""

    id: int
    name: str
    platform: str
    ad_account_id: str
    status: SetStatus
    sync_status: SyncStatus
    revision: int
    last_synced_at: datetime | None
    archived_at: datetime | None


# Called by `import_set` with the stored set and the document before anything is written.
ImportGuard = Callable[[CampaignSet, CampaignSet], None]


@dataclass(frozen=True)
class ImportResult:
    campaign_set_id: int
    created: bool
    revision: int
    # Entities in the imported document, per level ("campaigns", "ad_groups", ...).
    counts: dict[str, int]
    added: int = 0
    updated: int = 0
    removed: int = 0
    unchanged: int = 0

    @property
    def changed(self) -> bool:
        return bool(self.added or self.updated or self.removed)


@dataclass
class _Stats:
    added: int = 0
    updated: int = 0
    removed: int = 0
    unchanged: int = 0


@dataclass
class _Existing:
    """A set as stored, indexed for matching a re-imported document against it."""

    by_path: dict[tuple[EntityType, tuple[str, ...]], Entity] = field(default_factory=dict)
    positions: dict[tuple[EntityType, int], int] = field(default_factory=dict)


def _value(value: Any) -> Any:
    return value.value if isinstance(value, Enum) else value


def _label(entity_type: EntityType) -> str:
    return entity_type.value.replace("_", " ")


# Rows -> domain ---------------------------------------------------------------------------
# Positional rows and dict lookups instead of Row attributes and Enum(value) calls: this runs
# once per entity of 10,000-ad sets, and those two dominated the load profile.

_SET_STATUS = {s.value: s for s in SetStatus}
_SYNC_STATUS = {s.value: s for s in SyncStatus}
_STATUS = {s.value: s for s in EntityStatus}
_BUDGET_TYPE = {b.value: b for b in BudgetType}
_BID_STRATEGY = {b.value: b for b in BidStrategy}
_CALL_TO_ACTION = {c.value: c for c in CallToAction}
_MATCH_TYPE = {m.value: m for m in MatchType}
_DEVICE = {d.value: d for d in Device}
LEVEL_SELECT: dict[EntityType, tuple[str, ...]] = {
    EntityType.CAMPAIGN: (
        "id",
        "position",
        "key",
        "name",
        "objective",
        "status",
        "budget_type",
        "budget_amount",
        "budget_currency",
        "start_time",
        "end_time",
    ),
    EntityType.AD_GROUP: (
        "id",
        "position",
        "campaign_id",
        "key",
        "name",
        "status",
        "bid_strategy",
        "bid_amount",
        "targeting",
        "optimization_goal",
    ),
    EntityType.AD: (
        "id",
        "position",
        "ad_group_id",
        "key",
        "name",
        "status",
        "headline",
        "description",
        "final_url",
        "display_url",
        "call_to_action",
    ),
    EntityType.KEYWORD: ("id", "position", "ad_group_id", "key", "text", "match_type"),
}

# What a push writes and a pull may change: the level's own columns, targeting by list.
_IDENTITY = frozenset({"id", "position", "key", "campaign_id", "ad_group_id"})
PUSHABLE_COLUMNS: dict[EntityType, frozenset[str]] = {
    entity_type: frozenset(
        name
        for column in columns
        if column not in _IDENTITY
        for name in (TARGETING_FIELDS if column == "targeting" else (column,))
    )
    for entity_type, columns in LEVEL_SELECT.items()
}


def _sync(values: Sequence[Any]) -> SyncState:
    platform_id, status, pushed, synced_at, error, attempts, next_at, removed_at, data = values
    return SyncState(
        platform_id=platform_id,
        sync_status=_SYNC_STATUS[status],
        last_pushed_fingerprint=pushed,
        last_synced_at=synced_at,
        last_error=error,
        attempts=attempts,
        next_attempt_at=next_at,
        removed=removed_at is not None,
        platform_data=data,
    )


def _targeting(data: dict[str, Any]) -> Targeting:
    return Targeting(
        subreddits=tuple(data.get("subreddits", ())),
        interests=tuple(data.get("interests", ())),
        locations=tuple(data.get("locations", ())),
        devices=tuple(_DEVICE[d] for d in data.get("devices", ())),
    )


class UnreadableSetError(AdsyncError):
    """A stored set holds values adsync cannot read: an amount an older adsync let in
    unbounded, or anything another tool wrote. Built anyway it would be a wrong set, so it
    is refused with the reasons until a valid re-import (or archiving it) repairs it."""

    def __init__(self, set_id: int, name: str, problems: list[str]) -> None:
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        super().__init__(
            f"campaign set {set_id} '{printable(name)}' cannot be read: {problems[0]}{more}; "
            "re-import it from a valid file to repair it, or archive it"
        )
        self.set_id = set_id
        self.problems = problems


class _UnreadableValue(Exception):
    """Raised by the fast path of a row that a check (not a conversion) refuses."""


# What a row's fast path raises on a stored value it cannot turn into the domain's.
_ROW_ERRORS = (_UnreadableValue, KeyError, TypeError, ValueError, AttributeError)
_ENUM_COLUMNS: dict[EntityType, dict[str, dict[str, Any]]] = {
    EntityType.CAMPAIGN: {"status": _STATUS, "budget_type": _BUDGET_TYPE},
    EntityType.AD_GROUP: {"status": _STATUS, "bid_strategy": _BID_STRATEGY},
    EntityType.AD: {"status": _STATUS, "call_to_action": _CALL_TO_ACTION},
    EntityType.KEYWORD: {"match_type": _MATCH_TYPE},
}
# Stand-ins for unreadable values, so a set being repaired can still be matched by key.
_PLACEHOLDERS: dict[str, Any] = {
    "status": EntityStatus.ACTIVE.value,
    "budget_type": BudgetType.DAILY.value,
    "bid_strategy": BidStrategy.MANUAL_CPC.value,
    "call_to_action": CallToAction.LEARN_MORE.value,
    "match_type": MatchType.BROAD.value,
    "sync_status": SyncStatus.PENDING.value,
    "budget_amount": NOT_A_NUMBER,
    "bid_amount": NOT_A_NUMBER,
    "targeting": {},
}


def _readable_amount(amount: Decimal | None) -> Decimal | None:
    if amount is not None and money_problem(amount):
        raise _UnreadableValue
    return amount


def _targeting_problem(data: Any) -> str | None:
    if data is None:
        return None
    if not isinstance(data, dict):
        return f"is not an object (got {type(data).__name__})"
    for name in TARGETING_FIELDS:
        items = data.get(name, [])
        if not isinstance(items, list) or not all(isinstance(i, str) for i in items):
            return f"{name} is not a list of text"
        if name == "devices" and any(i not in _DEVICE for i in items):
            return f"devices holds an unknown device ({', '.join(map(repr, items))})"
    return None


def _row_problems(entity_type: EntityType, values: dict[str, Any]) -> dict[str, str]:
    """Column -> why its stored value cannot be read (the slow path, for refused rows)."""
    problems: dict[str, str] = {}
    for column, known in {**_ENUM_COLUMNS[entity_type], "sync_status": _SYNC_STATUS}.items():
        if values[column] not in known:
            problems[column] = f"{values[column]!r} is not one of {', '.join(known)}"
    for column in sorted(MONEY_COLUMNS & values.keys()):
        amount = values[column]
        reason = money_problem(amount) if amount is not None else None
        if reason:
            problems[column] = reason
    if "targeting" in values:
        reason = _targeting_problem(values["targeting"])
        if reason:
            problems["targeting"] = reason
    return problems


def _campaign(row: Sequence[Any], checked: bool = True) -> Campaign:
    split = len(LEVEL_SELECT[EntityType.CAMPAIGN])
    id_, _, key, name, objective, status, kind, amount, currency, start, end = row[:split]
    return Campaign(
        key=key,
        name=name,
        objective=objective,
        budget=Budget(
            _BUDGET_TYPE[kind], _readable_amount(amount) if checked else amount, currency
        ),
        status=_STATUS[status],
        start_time=start,
        end_time=end,
        id=id_,
        sync=_sync(row[split:]),
    )


def _ad_group(row: Sequence[Any], checked: bool = True) -> AdGroup:
    split = len(LEVEL_SELECT[EntityType.AD_GROUP])
    id_, _, _, key, name, status, strategy, bid, targeting, goal = row[:split]
    return AdGroup(
        key=key,
        name=name,
        bidding=Bidding(_BID_STRATEGY[strategy], _readable_amount(bid) if checked else bid),
        status=_STATUS[status],
        targeting=_targeting(targeting or {}),
        optimization_goal=goal,
        id=id_,
        sync=_sync(row[split:]),
    )


def _ad(row: Sequence[Any], checked: bool = True) -> Ad:
    split = len(LEVEL_SELECT[EntityType.AD])
    id_, _, _, key, name, status, headline, body, url, shown, cta = row[:split]
    return Ad(
        key=key,
        name=name,
        headline=headline,
        final_url=url,
        status=_STATUS[status],
        description=body,
        display_url=shown,
        call_to_action=_CALL_TO_ACTION[cta],
        id=id_,
        sync=_sync(row[split:]),
    )


def _keyword(row: Sequence[Any], checked: bool = True) -> Keyword:
    split = len(LEVEL_SELECT[EntityType.KEYWORD])
    id_, _, _, key, text, match_type = row[:split]
    return Keyword(
        key=key,
        text=text,
        match_type=_MATCH_TYPE[match_type],
        id=id_,
        sync=_sync(row[split:]),
    )


# `checked=False` builds a stand-in, whose amounts are the NaN placeholders.
_BUILDERS: dict[EntityType, Callable[[Sequence[Any], bool], Any]] = {
    EntityType.CAMPAIGN: _campaign,
    EntityType.AD_GROUP: _ad_group,
    EntityType.AD: _ad,
    EntityType.KEYWORD: _keyword,
}


class _Reader:
    """Builds a set's entities from its rows, every row on the fast path unless it holds a
    value that cannot be read. Such a row is built from stand-ins and its problems are kept:
    fatal for a live entity, tolerated for a removed one (only its platform id still
    matters). `repair` (a re-import about to overwrite the set) tolerates them all and
    blanks the name, so the re-import sees every such entity as changed and rewrites it."""

    def __init__(self, repair: bool) -> None:
        self.repair = repair
        self.problems: list[str] = []

    def rows(
        self, conn: Connection, entity_type: EntityType, set_id: int, parent: str | None
    ) -> Sequence[Row[Any]]:
        try:
            return _rows(conn, entity_type, set_id, parent)
        except (ValueError, TypeError, ArithmeticError) as exc:
            # A value the column type itself cannot parse (a malformed time or JSON text
            # on SQLite): the row is unknown, so no stand-in can be built.
            self.problems.append(f"its {_label(entity_type)} rows: {exc}")
            raise _UnreadableValue from exc

    def build(self, entity_type: EntityType, row: Sequence[Any]) -> Any:
        try:
            return _BUILDERS[entity_type](row)
        except _ROW_ERRORS as exc:
            return self._stand_in(entity_type, row, exc)

    def _stand_in(self, entity_type: EntityType, row: Sequence[Any], exc: Exception) -> Any:
        names = LEVEL_SELECT[entity_type] + SYNC_SELECT
        values = dict(zip(names, row, strict=True))
        what = f"{_label(entity_type)} '{printable(str(values['key']))}' (id {values['id']})"
        problems = _row_problems(entity_type, values)
        if not problems:
            self.problems.append(f"{what}: {type(exc).__name__}: {exc}")
            raise _UnreadableValue from exc
        if not (self.repair or values["removed_at"] is not None):
            self.problems += [f"{what} {column}: {reason}" for column, reason in problems.items()]
        for column in problems:
            values[column] = _PLACEHOLDERS[column]
        if self.repair:
            values["text" if entity_type is EntityType.KEYWORD else "name"] = ""
        return _BUILDERS[entity_type]([values[name] for name in names], False)


def _rows(
    conn: Connection, entity_type: EntityType, set_id: int, parent: str | None
) -> Sequence[Row[Any]]:
    table = TABLES[entity_type]
    order = [table.c[parent]] if parent else []
    names = LEVEL_SELECT[entity_type] + SYNC_SELECT
    return conn.execute(
        select(*(table.c[name] for name in names))
        .where(table.c.campaign_set_id == set_id)
        .order_by(*order, table.c.position, table.c.id)
    ).all()


def _set_head(conn: Connection, set_id: int) -> Row[Any] | None:
    """The set's row with its ad account's platform id, or None."""
    return conn.execute(
        select(SETS, ACCOUNTS.c.platform_account_id)
        .join(ACCOUNTS, ACCOUNTS.c.id == SETS.c.ad_account_id)
        .where(SETS.c.id == set_id)
    ).one_or_none()


def _head_problems(head: Row[Any]) -> list[str]:
    return [
        f"its {column} {value!r} is not one of {', '.join(known)}"
        for column, value, known in (
            ("status", head.status, _SET_STATUS),
            ("sync_status", head.sync_status, _SYNC_STATUS),
        )
        if value not in known
    ]


def _load(
    conn: Connection,
    set_id: int,
    positions: dict[tuple[EntityType, int], int] | None = None,
    *,
    repair: bool = False,
) -> CampaignSet | None:
    """Five statements: the set, then one per level, assembled here by parent id.
    `UnreadableSetError` lists the stored values it cannot read; with `repair` (for a
    re-import, which rewrites them) only values no stand-in can replace are refused."""
    head = _set_head(conn, set_id)
    if head is None:
        return None
    reader = _Reader(repair)
    if not repair:
        reader.problems += _head_problems(head)
    try:
        campaign_set = _assemble(conn, head, reader, {} if positions is None else positions)
    except _UnreadableValue:
        campaign_set = None
    if campaign_set is None or reader.problems:
        raise UnreadableSetError(set_id, head.name, reader.problems)
    return campaign_set


def _unreadable_amounts(conn: Connection) -> dict[int, str]:
    """Set id -> the first amount of a live entity no money column can hold, over every
    set in two statements: what a poisoned set looks like (money is the one value an older
    adsync let in unchecked). Other unreadable values are found when the set is loaded."""
    found: dict[int, str] = {}
    for entity_type, column in (
        (EntityType.CAMPAIGN, "budget_amount"),
        (EntityType.AD_GROUP, "bid_amount"),
    ):
        table = TABLES[entity_type]
        rows = conn.execute(
            select(table.c.campaign_set_id, table.c.id, table.c.key, table.c[column])
            .where(table.c.removed_at.is_(None), table.c[column].is_not(None))
            .order_by(table.c.campaign_set_id, table.c.position, table.c.id)
        )
        for set_id, entity_id, key, amount in rows:
            reason = money_problem(amount)
            if reason and set_id not in found:
                what = f"{_label(entity_type)} '{printable(key)}' (id {entity_id})"
                found[set_id] = f"{what} {column}: {reason}"
    return found


def _assemble(
    conn: Connection,
    head: Row[Any],
    reader: _Reader,
    seen: dict[tuple[EntityType, int], int],
) -> CampaignSet:
    set_id = head.id
    campaign_set = CampaignSet(
        name=head.name,
        platform=head.platform,
        ad_account_id=head.platform_account_id,
        status=_SET_STATUS.get(head.status, SetStatus.ERROR),
        sync_status=_SYNC_STATUS.get(head.sync_status, SyncStatus.PENDING),
        revision=head.revision,
        last_synced_at=head.last_synced_at,
        id=set_id,
    )
    campaigns: dict[int, Campaign] = {}
    for row in reader.rows(conn, EntityType.CAMPAIGN, set_id, None):
        campaigns[row[0]] = campaign = reader.build(EntityType.CAMPAIGN, row)
        campaign_set.campaigns.append(campaign)
        seen[(EntityType.CAMPAIGN, row[0])] = row[1]
    groups: dict[int, AdGroup] = {}
    for row in reader.rows(conn, EntityType.AD_GROUP, set_id, "campaign_id"):
        groups[row[0]] = group = reader.build(EntityType.AD_GROUP, row)
        campaigns[row[2]].ad_groups.append(group)
        seen[(EntityType.AD_GROUP, row[0])] = row[1]
    for row in reader.rows(conn, EntityType.AD, set_id, "ad_group_id"):
        groups[row[2]].ads.append(reader.build(EntityType.AD, row))
        seen[(EntityType.AD, row[0])] = row[1]
    for row in reader.rows(conn, EntityType.KEYWORD, set_id, "ad_group_id"):
        groups[row[2]].keywords.append(reader.build(EntityType.KEYWORD, row))
        seen[(EntityType.KEYWORD, row[0])] = row[1]
    return campaign_set


# Domain -> rows ---------------------------------------------------------------------------


def _fields(entity: Entity) -> dict[str, Any]:
    """The pushable columns of an entity's row."""
    if isinstance(entity, Campaign):
        return {
            "name": entity.name,
            "objective": entity.objective,
            "status": entity.status.value,
            "budget_type": entity.budget.type.value,
            "budget_amount": entity.budget.amount,
            "budget_currency": entity.budget.currency,
            "start_time": entity.start_time,
            "end_time": entity.end_time,
        }
    if isinstance(entity, AdGroup):
        targeting = entity.targeting
        return {
            "name": entity.name,
            "status": entity.status.value,
            "bid_strategy": entity.bidding.strategy.value,
            "bid_amount": entity.bidding.amount,
            "targeting": {
                "subreddits": list(targeting.subreddits),
                "interests": list(targeting.interests),
                "locations": list(targeting.locations),
                "devices": [d.value for d in targeting.devices],
            },
            "optimization_goal": entity.optimization_goal,
        }
    if isinstance(entity, Ad):
        return {
            "name": entity.name,
            "status": entity.status.value,
            "headline": entity.headline,
            "description": entity.description,
            "final_url": entity.final_url,
            "display_url": entity.display_url,
            "call_to_action": entity.call_to_action.value,
        }
    return {"text": entity.text, "match_type": entity.match_type.value}


def _children(
    entity_type: EntityType, parent: Any
) -> Iterator[tuple[EntityType, list[Any], str | None]]:
    """(level, entities, parent id column) below `parent`."""
    if entity_type is EntityType.CAMPAIGN_SET:
        yield EntityType.CAMPAIGN, parent.campaigns, None
    elif entity_type is EntityType.CAMPAIGN:
        yield EntityType.AD_GROUP, parent.ad_groups, "campaign_id"
    elif entity_type is EntityType.AD_GROUP:
        yield EntityType.AD, parent.ads, "ad_group_id"
        yield EntityType.KEYWORD, parent.keywords, "ad_group_id"


def _index(campaign_set: CampaignSet) -> dict[tuple[EntityType, tuple[str, ...]], Entity]:
    found: dict[tuple[EntityType, tuple[str, ...]], Entity] = {}
    stack: list[tuple[EntityType, Any, tuple[str, ...]]] = [
        (EntityType.CAMPAIGN_SET, campaign_set, ())
    ]
    while stack:
        parent_type, parent, path = stack.pop()
        for entity_type, entities, _ in _children(parent_type, parent):
            for entity in entities:
                entity_path = (*path, entity.key)
                found[(entity_type, entity_path)] = entity
                stack.append((entity_type, entity, entity_path))
    return found


class _Writer:
    """Writes a document's entities level by level: bulk inserts for new ones (ids come
    back in parameter order), grouped executemany updates for changed ones."""

    def __init__(self, conn: Connection, set_id: int, existing: _Existing, now: datetime):
        self.conn = conn
        self.set_id = set_id
        self.existing = existing
        self.now = now
        self.stats = _Stats()

    def write(self, doc: CampaignSet) -> None:
        level: list[tuple[EntityType, Any, tuple[str, ...]]] = [(EntityType.CAMPAIGN_SET, doc, ())]
        while level:
            batches: dict[EntityType, list[tuple[Entity, dict[str, Any], tuple[str, ...]]]]
            batches = defaultdict(list)
            for parent_type, parent, path in level:
                for entity_type, entities, parent_column in _children(parent_type, parent):
                    for position, entity in enumerate(entities):
                        columns = {"position": position}
                        if parent_column:
                            columns[parent_column] = parent.id
                        batches[entity_type].append((entity, columns, (*path, entity.key)))
            level = []
            for entity_type, batch in batches.items():
                self._write_level(entity_type, batch)
                level += [(entity_type, entity, path) for entity, _, path in batch]
        self._remove_absent()

    def _write_level(
        self,
        entity_type: EntityType,
        batch: list[tuple[Entity, dict[str, Any], tuple[str, ...]]],
    ) -> None:
        table = TABLES[entity_type]
        new: list[tuple[Entity, dict[str, Any]]] = []
        updates: dict[frozenset[str], list[dict[str, Any]]] = defaultdict(list)
        for entity, columns, path in batch:
            old = self.existing.by_path.pop((entity_type, path), None)
            if old is None:
                new.append((entity, columns))
                continue
            entity.id = old.id
            assert old.id is not None
            changes = self._changes(entity, old)
            if self.existing.positions.get((entity_type, old.id)) != columns["position"]:
                changes["position"] = columns["position"]
            if changes:
                changes["updated_at"] = self.now
                updates[frozenset(changes)].append({"_id": old.id, **changes})
        for names, params in updates.items():
            self.conn.execute(
                update(table)
                .where(table.c.id == bindparam("_id"))
                .values({name: bindparam(name) for name in names}),
                params,
            )
        if new:
            self._insert(entity_type, new)
            self.stats.added += len(new)

    def _insert(self, entity_type: EntityType, new: list[tuple[Entity, dict[str, Any]]]) -> None:
        """Plain executemany in bounded batches, then the new ids in one statement by
        (parent, key), unique at every level. RETURNING in parameter order would send one
        statement per row on SQLite, and a whole level's parameters would be held at once."""
        table = TABLES[entity_type]
        constant = {
            "campaign_set_id": self.set_id,
            "sync_status": SyncStatus.PENDING.value,
            "attempts": 0,
            "created_at": self.now,
            "updated_at": self.now,
        }
        statement = insert(table)
        for start in range(0, len(new), INSERT_BATCH):
            rows = [
                {**_fields(entity), **columns, "key": entity.key, **constant}
                for entity, columns in new[start : start + INSERT_BATCH]
            ]
            self.conn.execute(statement, rows)
        parent = _PARENT_COLUMN.get(entity_type)
        parent_id = table.c[parent] if parent else literal(None)
        ids = {
            (parent_key, key): entity_id
            for entity_id, parent_key, key in self.conn.execute(
                select(table.c.id, parent_id, table.c.key).where(
                    table.c.campaign_set_id == self.set_id
                )
            )
        }
        for entity, columns in new:
            entity.id = ids[(columns.get(parent) if parent else None, entity.key)]

    def _changes(self, entity: Entity, old: Entity) -> dict[str, Any]:
        # The canonical fields decide, as their fingerprints would: hashing is left for the
        # changed entities, not every entity of a mostly unchanged 200,000-ad re-import.
        new_fields = pushable_fields(entity)
        content_changed = new_fields != pushable_fields(old)
        if not content_changed and not old.sync.removed:
            self.stats.unchanged += 1
            return {}
        new_fingerprint = fingerprint_of_fields(new_fields)
        self.stats.updated += 1
        changes: dict[str, Any] = _fields(entity) if content_changed else {}
        if old.sync.removed:
            changes["removed_at"] = None
        if old.sync.sync_status is SyncStatus.CONFLICT:
            # A re-import does not settle a conflict with a platform edit; a person does.
            return changes
        if new_fingerprint == old.sync.last_pushed_fingerprint and not old.sync.removed:
            changes["sync_status"] = SyncStatus.SYNCED.value
        else:
            changes["sync_status"] = SyncStatus.PENDING.value
            # New content deserves a fresh set of attempts.
            changes["attempts"] = 0
            changes["next_attempt_at"] = None
        return changes

    def _remove_absent(self) -> None:
        marked: dict[EntityType, list[dict[str, Any]]] = defaultdict(list)
        for (entity_type, _), entity in self.existing.by_path.items():
            if entity.sync.removed:
                continue
            # Never pushed: nothing to remove remotely, so nothing becomes pending.
            status = SyncStatus.PENDING if entity.sync.platform_id else entity.sync.sync_status
            marked[entity_type].append(
                {"_id": entity.id, "removed_at": self.now, "sync_status": status.value}
            )
        for entity_type, params in marked.items():
            table = TABLES[entity_type]
            self.conn.execute(
                update(table)
                .where(table.c.id == bindparam("_id"))
                .values(
                    removed_at=bindparam("removed_at"),
                    sync_status=bindparam("sync_status"),
                    updated_at=self.now,
                ),
                params,
            )
            self.stats.removed += len(params)


def _settled_platform_data(
    stored: dict[tuple[EntityType, tuple[str, ...]], Entity], paused: dict[int, dict[str, Any]]
) -> dict[EntityType, dict[int, dict[str, Any] | None]]:
    """The `platform_data` an import leaves on stored entities: pulled marks settled, and
    paused campaigns' records (`paused`, by campaign id) updated."""
    changed: dict[EntityType, dict[int, dict[str, Any] | None]] = defaultdict(dict)
    for (entity_type, _), entity in stored.items():
        assert entity.id is not None
        data = paused.get(entity.id) if entity_type is EntityType.CAMPAIGN else None
        cleared = unmarked(data if data is not None else entity.sync.platform_data)
        if cleared is not None or data is not None:
            changed[entity_type][entity.id] = cleared if cleared is not None else data
    return changed


def _write_platform_data(
    conn: Connection, changed: dict[EntityType, dict[int, dict[str, Any] | None]]
) -> None:
    for entity_type, by_id in changed.items():
        table = TABLES[entity_type]
        conn.execute(
            update(table)
            .where(table.c.id == bindparam("_id"))
            .values(platform_data=bindparam("platform_data")),
            [{"_id": entity_id, "platform_data": data} for entity_id, data in by_id.items()],
        )


def _counts(doc: CampaignSet) -> dict[str, int]:
    groups = [g for c in doc.campaigns for g in c.ad_groups]
    return {
        "campaigns": len(doc.campaigns),
        "ad_groups": len(groups),
        "ads": sum(len(g.ads) for g in groups),
        "keywords": sum(len(g.keywords) for g in groups),
    }


def _column_value(name: str, value: Any) -> Any:
    """Values as the columns store them; money and times are also accepted in their
    canonical text form (what `pushable_fields` produces from a platform read)."""
    value = _value(value)
    if value is None:
        return None
    if name in MONEY_COLUMNS:
        return Decimal(str(value))
    if name in TIME_COLUMNS and isinstance(value, str):
        return datetime.fromisoformat(value)
    return value


def _sync_records_upsert(table: Table) -> TextClause:
    # Written as text because SQLAlchemy does not cache dialect INSERTs (ON CONFLICT): built
    # as an expression it would be compiled again on every commit of a push. The statement
    # is the same in SQLite and PostgreSQL.
    return text(
        f"INSERT INTO {RECORDS.name} "
        "(entity_type, entity_id, platform, platform_id, sync_status, last_synced_at) "
        "SELECT :entity_type, e.id, s.platform, e.platform_id, e.sync_status, e.last_synced_at "
        f"FROM {table.name} AS e JOIN {SETS.name} AS s ON s.id = e.campaign_set_id "
        "WHERE e.id IN :ids "
        "ON CONFLICT (entity_type, entity_id, platform) DO UPDATE SET "
        "platform_id = excluded.platform_id, sync_status = excluded.sync_status, "
        "last_synced_at = excluded.last_synced_at"
    ).bindparams(bindparam("ids", expanding=True))


SYNC_RECORDS_UPSERT = {
    entity_type: _sync_records_upsert(table) for entity_type, table in TABLES.items()
}


def _record_syncs(
    conn: Connection,
    entity_type: EntityType,
    entity_ids: list[int],
    errors: dict[int, str],
    now: datetime,
) -> None:
    """Bring the `sync_records` rows of these entities in line with the entities: one upsert
    from their rows; the error log is appended to only for entities given an error."""
    conn.execute(
        SYNC_RECORDS_UPSERT[entity_type], {"entity_type": entity_type.value, "ids": entity_ids}
    )
    for entity_id, error in errors.items():
        key = (RECORDS.c.entity_type == entity_type.value) & (RECORDS.c.entity_id == entity_id)
        record = conn.execute(select(RECORDS.c.id, RECORDS.c.error_log).where(key)).one()
        log = list((record.error_log or {}).get("errors", []))
        log = [*log, {"at": now.isoformat(), "error": error}][-ERROR_LOG_LIMIT:]
        conn.execute(
            update(RECORDS).where(RECORDS.c.id == record.id).values(error_log={"errors": log})
        )


class CampaignSetRepository:
    def __init__(self, db: Database) -> None:
        self.db = db

    # Reads --------------------------------------------------------------------------------

    def load(self, set_id: int) -> CampaignSet:
        """The whole hierarchy, removed entities included (`sync.removed`), in five
        statements whatever its size."""
        with self.db.engine.connect() as conn:
            if conn.dialect.name == "postgresql":
                # One snapshot for all five statements: a concurrent import can't tear it.
                conn = conn.execution_options(isolation_level="REPEATABLE READ")
            with conn.begin(), collector_paused():
                campaign_set = _load(conn, set_id)
        if campaign_set is None:
            raise NotFoundError(f"campaign set {set_id} not found")
        return campaign_set

    @staticmethod
    def content_fingerprints(
        conn: Connection, entity_type: EntityType, ids: Sequence[int]
    ) -> dict[int, str | None]:
        """The fingerprint of each entity's content as stored now, inside a caller's
        transaction; None for a row that cannot be read (it counts as changed)."""
        table = TABLES[entity_type]
        names = LEVEL_SELECT[entity_type] + SYNC_SELECT
        rows = conn.execute(
            select(*(table.c[name] for name in names)).where(table.c.id.in_(ids))
        ).all()
        found: dict[int, str | None] = {}
        for row in rows:
            try:
                found[row[0]] = fingerprint(_BUILDERS[entity_type](row, True))
            except (*_ROW_ERRORS, ArithmeticError):
                found[row[0]] = None
        return found

    def platform_ids_held(self, entity_type: EntityType, ad_account_id: int) -> set[str]:
        """Platform ids of this type that some entity of the ad account's sets holds."""
        table = TABLES[entity_type]
        query = (
            select(table.c.platform_id)
            .join(SETS, SETS.c.id == table.c.campaign_set_id)
            .where(SETS.c.ad_account_id == ad_account_id, table.c.platform_id.is_not(None))
        )
        with self.db.engine.connect() as conn:
            return {str(platform_id) for platform_id in conn.scalars(query)}

    def get_header(self, set_id: int) -> CampaignSetHeader:
        """The set's own fields in one statement, for callers that need its existence or
        state but not its entities."""
        with self.db.engine.connect() as conn:
            head = _set_head(conn, set_id)
        if head is None:
            raise NotFoundError(f"campaign set {set_id} not found")
        return CampaignSetHeader(
            id=head.id,
            name=head.name,
            platform=head.platform,
            ad_account_id=head.platform_account_id,
            # Unknown statuses (another tool's) read as error/pending, so the set can still
            # be found and archived; `load` reports them.
            status=_SET_STATUS.get(head.status, SetStatus.ERROR),
            sync_status=_SYNC_STATUS.get(head.sync_status, SyncStatus.PENDING),
            revision=head.revision,
            last_synced_at=head.last_synced_at,
            archived_at=head.archived_at,
        )

    def names(self, set_ids: Sequence[int] | None = None) -> dict[int, str]:
        """Set id → name, of the given sets or of all: one light statement (Dagster names
        its partitions after sets on every sensor tick)."""
        query = select(SETS.c.id, SETS.c.name).order_by(SETS.c.id)
        if set_ids is not None:
            query = query.where(SETS.c.id.in_(set_ids))
        with self.db.engine.connect() as conn:
            return {set_id: name for set_id, name in conn.execute(query)}

    def list(self) -> list[CampaignSetSummary]:
        with self.db.engine.connect() as conn:
            heads = conn.execute(
                select(SETS, ACCOUNTS.c.platform_account_id)
                .join(ACCOUNTS, ACCOUNTS.c.id == SETS.c.ad_account_id)
                .order_by(SETS.c.id)
            ).all()
            counts: dict[EntityType, dict[int, int]] = {}
            for entity_type, table in TABLES.items():
                rows = conn.execute(
                    select(table.c.campaign_set_id, func.count())
                    .where(table.c.removed_at.is_(None))
                    .group_by(table.c.campaign_set_id)
                )
                counts[entity_type] = {set_id: count for set_id, count in rows}
            unreadable = _unreadable_amounts(conn)
        for head in heads:
            problems = _head_problems(head)
            if problems:
                unreadable.setdefault(head.id, problems[0])
        return [
            CampaignSetSummary(
                id=head.id,
                name=head.name,
                platform=head.platform,
                ad_account_id=head.platform_account_id,
                status=_SET_STATUS.get(head.status, SetStatus.ERROR),
                sync_status=_SYNC_STATUS.get(head.sync_status, SyncStatus.PENDING),
                revision=head.revision,
                campaigns=counts[EntityType.CAMPAIGN].get(head.id, 0),
                ad_groups=counts[EntityType.AD_GROUP].get(head.id, 0),
                ads=counts[EntityType.AD].get(head.id, 0),
                keywords=counts[EntityType.KEYWORD].get(head.id, 0),
                last_synced_at=head.last_synced_at,
                unreadable=unreadable.get(head.id),
            )
            for head in heads
        ]

    def find_by_name(
        self, platform_account_id: str, name: str, platform: str | None = None
    ) -> CampaignSet | None:
        query = (
            select(SETS.c.id)
            .join(ACCOUNTS, ACCOUNTS.c.id == SETS.c.ad_account_id)
            .where(ACCOUNTS.c.platform_account_id == platform_account_id, SETS.c.name == name)
        )
        if platform is not None:
            query = query.where(ACCOUNTS.c.platform == platform)
        with self.db.engine.connect() as conn:
            set_id = conn.scalar(query)
        return None if set_id is None else self.load(set_id)

    # Import -------------------------------------------------------------------------------

    def import_set(self, doc: CampaignSet, guard: ImportGuard | None = None) -> ImportResult:
        """Create the set, or update it in place when one with the same name exists under
        the same ad account (matched by key at every level). All or nothing: `guard` sees
        the stored set and the document first, and what it raises leaves nothing written.

        A paused campaign keeps its status, and the document's becomes the one `resume`
        restores. Marks of values pulled from the platform are settled: the import either
        agrees with them or was confirmed."""
        now = utcnow()
        with self.db.engine.begin() as conn, collector_paused():
            account_id = self._ensure_account(conn, doc.platform, doc.ad_account_id, now)
            head = conn.execute(
                select(SETS.c.id, SETS.c.revision).where(
                    SETS.c.ad_account_id == account_id, SETS.c.name == doc.name
                )
            ).one_or_none()
            existing = _Existing()
            if head is None:
                set_id = conn.scalar(
                    insert(SETS)
                    .values(
                        name=doc.name,
                        platform=doc.platform,
                        ad_account_id=account_id,
                        status=SetStatus.DRAFT.value,
                        sync_status=SyncStatus.PENDING.value,
                        revision=1,
                        created_at=now,
                        updated_at=now,
                    )
                    .returning(SETS.c.id)
                )
                assert set_id is not None
                revision = 1
            else:
                set_id, revision = head.id, head.revision
                stored = _load(conn, set_id, existing.positions, repair=True)
                assert stored is not None
                existing.by_path = _index(stored)
                paused = authored_while_paused(stored, doc)
                if guard is not None:
                    guard(stored, doc)
                settled = _settled_platform_data(existing.by_path, paused)
            doc.id = set_id
            writer = _Writer(conn, set_id, existing, now)
            writer.write(doc)
            stats = writer.stats
            if head is not None:
                _write_platform_data(conn, settled)
            if head is not None and (stats.added or stats.updated or stats.removed):
                revision += 1
                conn.execute(
                    update(SETS)
                    .where(SETS.c.id == set_id)
                    .values(revision=revision, sync_status=SyncStatus.PENDING.value, updated_at=now)
                )
        doc.revision = revision
        return ImportResult(
            campaign_set_id=set_id,
            created=head is None,
            revision=revision,
            counts=_counts(doc),
            added=stats.added,
            updated=stats.updated,
            removed=stats.removed,
            unchanged=stats.unchanged,
        )

    @staticmethod
    def _ensure_account(conn: Connection, platform: str, account: str, now: datetime) -> int:
        account_id = conn.scalar(
            select(ACCOUNTS.c.id).where(
                ACCOUNTS.c.platform == platform, ACCOUNTS.c.platform_account_id == account
            )
        )
        if account_id is None:
            account_id = conn.scalar(
                insert(ACCOUNTS)
                .values(
                    platform=platform, platform_account_id=account, created_at=now, updated_at=now
                )
                .returning(ACCOUNTS.c.id)
            )
        assert account_id is not None
        return account_id

    # Per-entity updates -------------------------------------------------------------------

    def update_entity(self, entity_type: EntityType, entity_id: int, **changes: Any) -> None:
        """Sync bookkeeping of one entity (and its `sync_records` row), committed at once."""
        with self.db.engine.begin() as conn:
            self.write_entities(conn, entity_type, [(entity_id, changes)])

    def update_entities(self, updates: dict[EntityType, list[tuple[int, dict[str, Any]]]]) -> None:
        """`update_entity` for entities of several types, all in one transaction."""
        with self.db.engine.begin() as conn:
            for entity_type, rows in updates.items():
                self.write_entities(conn, entity_type, rows)

    def write_entities(
        self,
        conn: Connection,
        entity_type: EntityType,
        updates: list[tuple[int, dict[str, Any]]],
    ) -> None:
        """Sync bookkeeping of many entities of one type inside a caller's transaction: one
        executemany per set of columns changed, one upsert of their `sync_records`."""
        if not updates:
            return
        unknown = {name for _, changes in updates for name in changes} - SYNC_COLUMNS
        if unknown:
            raise TypeError(f"not sync columns: {', '.join(sorted(unknown))}")
        table = TABLES[entity_type]
        now = utcnow()
        by_columns: dict[tuple[str, ...], list[dict[str, Any]]] = {}
        for entity_id, changes in updates:
            row = {name: _column_value(name, value) for name, value in changes.items()}
            by_columns.setdefault(tuple(sorted(row)), []).append(
                {**row, "_id": entity_id, "_now": now}
            )
        for columns, rows in by_columns.items():
            statement = (
                update(table)
                .where(table.c.id == bindparam("_id"))
                .values({**{c: bindparam(c) for c in columns}, "updated_at": bindparam("_now")})
            )
            updated = conn.execute(statement, rows)
            if updated.rowcount != len(rows):
                ids = ", ".join(str(r["_id"]) for r in rows)
                raise NotFoundError(f"{_label(entity_type)} {ids} not found")
        ids = [entity_id for entity_id, _ in updates]
        errors = {i: c["last_error"] for i, c in updates if c.get("last_error")}
        _record_syncs(conn, entity_type, ids, errors, now)

    def update_entity_fields(
        self, entity_type: EntityType, entity_id: int, fields: dict[str, Any]
    ) -> None:
        """Pushable fields of one entity, named as in `pushable_fields` (targeting lists by
        their own names). Sync bookkeeping is left to the caller."""
        with self.db.engine.begin() as conn:
            self.write_entity_fields(conn, entity_type, entity_id, fields)

    def write_entity_fields(
        self, conn: Connection, entity_type: EntityType, entity_id: int, fields: dict[str, Any]
    ) -> None:
        """`update_entity_fields` inside a caller's transaction."""
        unknown = set(fields) - PUSHABLE_COLUMNS[entity_type]
        if unknown:
            raise TypeError(f"not pushable {_label(entity_type)} fields: {sorted(unknown)}")
        table = TABLES[entity_type]
        values = {
            name: _column_value(name, value)
            for name, value in fields.items()
            if name not in TARGETING_FIELDS
        }
        if entity_type is EntityType.AD_GROUP and set(fields) & set(TARGETING_FIELDS):
            current = conn.scalar(select(table.c.targeting).where(table.c.id == entity_id))
            targeting = dict(current or {})
            for name in TARGETING_FIELDS:
                if name in fields:
                    targeting[name] = [_value(item) for item in fields[name]]
            values["targeting"] = targeting
        updated = conn.execute(
            update(table).where(table.c.id == entity_id).values(**values, updated_at=utcnow())
        )
        if updated.rowcount == 0:
            raise NotFoundError(f"{_label(entity_type)} {entity_id} not found")

    def write_keywords(
        self,
        campaign_set_id: int,
        ad_group_id: int,
        added: Sequence[dict[str, Any]],
        updates: Sequence[tuple[int, dict[str, Any], dict[str, Any]]],
    ) -> None:
        """Keyword rows of one ad group taken from the platform, in one transaction: `added`
        are new rows (key, text, match_type and sync columns), placed after the others;
        `updates` are (keyword id, pushable fields, sync columns) of existing rows."""
        table = TABLES[EntityType.KEYWORD]
        now = utcnow()
        with self.db.engine.begin() as conn:
            for keyword_id, fields, sync in updates:
                if fields:
                    self.write_entity_fields(conn, EntityType.KEYWORD, keyword_id, fields)
                self.write_entities(conn, EntityType.KEYWORD, [(keyword_id, sync)])
            if not added:
                return
            last = conn.scalar(
                select(func.max(table.c.position)).where(table.c.ad_group_id == ad_group_id)
            )
            start = -1 if last is None else last
            rows = [
                {
                    **{name: _column_value(name, value) for name, value in row.items()},
                    "ad_group_id": ad_group_id,
                    "campaign_set_id": campaign_set_id,
                    "position": start + offset,
                    "attempts": 0,
                    "created_at": now,
                    "updated_at": now,
                }
                for offset, row in enumerate(added, start=1)
            ]
            ids = conn.scalars(
                insert(table).returning(table.c.id, sort_by_parameter_order=True), rows
            ).all()
            _record_syncs(conn, EntityType.KEYWORD, list(ids), {}, now)

    # Set-level updates --------------------------------------------------------------------

    def set_status(
        self,
        set_id: int,
        status: SetStatus | None = None,
        sync_status: SyncStatus | None = None,
        last_synced_at: datetime | None = None,
    ) -> None:
        given = {"status": status, "sync_status": sync_status, "last_synced_at": last_synced_at}
        values = {name: _value(value) for name, value in given.items() if value is not None}
        self._update_set(set_id, values)

    def archive(self, set_id: int) -> None:
        now = utcnow()
        self._update_set(set_id, {"status": SetStatus.ARCHIVED.value, "archived_at": now})

    def _update_set(self, set_id: int, values: dict[str, Any]) -> None:
        with self.db.engine.begin() as conn:
            updated = conn.execute(
                update(SETS).where(SETS.c.id == set_id).values(**values, updated_at=utcnow())
            )
            if updated.rowcount == 0:
                raise NotFoundError(f"campaign set {set_id} not found")

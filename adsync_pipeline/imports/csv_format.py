"""The flat CSV format: one row per ad, the set, campaign and ad group columns repeated
(see README, "Import format"). Rows are grouped into the JSON format's shape and built by
the same code, so both formats obey the same rules. Problems name the line (the header is
line 1) and the column.
"""

from __future__ import annotations

import csv
import json
import re
from collections import Counter
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from adsync_pipeline.domain import validation as v
from adsync_pipeline.domain.model import CampaignSet
from adsync_pipeline.errors import ValidationFailed
from adsync_pipeline.imports.builder import Path as DocPath
from adsync_pipeline.imports.builder import build_campaign_set

LIST_SEPARATOR = ";"
MATCH_SEPARATOR = "|"

SET_COLUMNS = {"name": "set_name", "platform": "platform", "ad_account_id": "ad_account_id"}
CAMPAIGN_COLUMNS = {
    "key": "campaign_key",
    "name": "campaign_name",
    "objective": "objective",
    "status": "campaign_status",
    "budget.type": "budget_type",
    "budget.amount": "budget_amount",
    "budget.currency": "budget_currency",
    "start_time": "start_time",
    "end_time": "end_time",
}
AD_GROUP_COLUMNS = {
    "key": "ad_group_key",
    "name": "ad_group_name",
    "status": "ad_group_status",
    "bidding.strategy": "bid_strategy",
    "bidding.amount": "bid_amount",
    "optimization_goal": "optimization_goal",
    "targeting.subreddits": "subreddits",
    "targeting.interests": "interests",
    "targeting.locations": "locations",
    "targeting.devices": "devices",
}
AD_COLUMNS = {
    "key": "ad_key",
    "name": "ad_name",
    "status": "ad_status",
    "headline": "headline",
    "description": "description",
    "final_url": "final_url",
    "display_url": "display_url",
    "call_to_action": "call_to_action",
}
KEYWORDS_COLUMN = "keywords"
LIST_COLUMNS = frozenset({"subreddits", "interests", "locations", "devices"})
# Cells are text; these hold numbers, as JSON numbers do (text that is no number stays text
# and is rejected by the field's rule, as a JSON string would be).
MONEY_COLUMNS = frozenset({"budget_amount", "bid_amount"})
REQUIRED_COLUMNS = (
    "set_name",
    "platform",
    "ad_account_id",
    "campaign_key",
    "campaign_name",
    "objective",
    "budget_type",
    "budget_amount",
    "ad_group_key",
    "ad_group_name",
    "bid_strategy",
    "ad_key",
    "ad_name",
    "headline",
    "final_url",
)
ALL_COLUMNS = (
    *SET_COLUMNS.values(),
    *CAMPAIGN_COLUMNS.values(),
    *AD_GROUP_COLUMNS.values(),
    KEYWORDS_COLUMN,
    *AD_COLUMNS.values(),
)
# Which column a field of a parent level is blamed on when the problem is about its children.
_CHILD_COLUMNS = {"campaigns": "campaign_key", "ad_groups": "ad_group_key", "ads": "ad_key"}
_PLAIN_NAME = re.compile(r"[A-Za-z0-9_. -]*")


def read_csv(path: Path) -> CampaignSet:
    """Streams the file: rows are grouped as they are read, never held as a table."""
    with path.open(newline="", encoding="utf-8-sig") as handle:
        reader = csv.reader(handle, skipinitialspace=True)
        try:
            header = next(reader, None)
            if header is None:
                raise ValidationFailed([f"{path.name}: not valid CSV (the file is empty)"])
            return parse_rows(header, _records(reader, len(header)), path.name)
        except csv.Error as exc:
            reason = f"line {reader.line_num}: {exc}"
            raise ValidationFailed([f"{path.name}: not valid CSV ({reason})"]) from None


def _records(reader: Iterator[list[str]], width: int) -> Iterator[list[str]]:
    """Non-blank rows as cells without their surrounding spaces, `width` of them: a short
    row's missing cells are empty; a long row is no table at all."""
    for row in reader:
        if not row or row == [""]:
            continue
        if len(row) > width:
            raise csv.Error(f"expected {width} fields, saw {len(row)}")
        cells = [cell.strip() for cell in row]
        if len(cells) < width:
            cells += [""] * (width - len(cells))
        yield cells


def parse_rows(columns: list[str], rows: Iterable[list[str]], source: str) -> CampaignSet:
    """`columns` is the header as written; `rows` are its rows, each a stripped cell per
    column."""
    header = _header_problems(columns, source)
    if header:
        # A file that is no table at all is that one problem, whatever its header says.
        for _ in rows:
            pass
        raise ValidationFailed(header)
    grouping = _Grouping(source, columns)
    doc = grouping.group(iter(rows))
    if doc is None:
        raise ValidationFailed([f"{source}: line 2: no rows (one row per ad is expected)"])
    return build_campaign_set(doc, grouping.locate, grouping.problems)


def _column_shown(name: str) -> str:
    """A header cell as a problem shows it: quoted when it is not a plain name, so a control
    character cannot forge or break the line."""
    return name if _PLAIN_NAME.fullmatch(name) else json.dumps(name)


def _header_problems(columns: list[str], source: str) -> list[str]:
    problems = [
        f"{source}: line 1, column {_column_shown(name)}: unknown column"
        for name in columns
        if name not in ALL_COLUMNS
    ]
    problems += [
        f"{source}: line 1, column {name}: given {count} times (each column may appear once)"
        for name, count in Counter(columns).items()
        if count > 1 and name in ALL_COLUMNS
    ]
    problems += [
        f"{source}: line 1, column {name}: required column is missing"
        for name in REQUIRED_COLUMNS
        if name not in columns
    ]
    return problems


def _split(value: str) -> list[str]:
    return [item.strip() for item in value.split(LIST_SEPARATOR) if item.strip()]


def _keywords(value: str) -> list[dict[str, str]]:
    keywords = []
    for item in _split(value):
        text, _, match_type = item.partition(MATCH_SEPARATOR)
        keyword = {"text": text.strip()}
        if match_type.strip():
            keyword["match_type"] = match_type.strip()
        keywords.append(keyword)
    return keywords


class _Level:
    """One level's columns: where each sits in a row, and how its cells become the JSON
    shape's nested fields (empty cells are absent)."""

    def __init__(self, columns: dict[str, str], index: dict[str, int]) -> None:
        # A column missing from the header reads as an empty cell.
        self.fields = [
            (field.split("."), column, index[column])
            for field, column in columns.items()
            if column in index
        ]
        self.columns = [column for _, column, _ in self.fields]
        self.positions = [position for _, _, position in self.fields]

    def signature(self, cells: list[str]) -> tuple[str, ...]:
        return tuple([cells[i] for i in self.positions])

    def fields_of(self, cells: list[str]) -> dict[str, Any]:
        fields: dict[str, Any] = {}
        for (*parents, name), column, position in self.fields:
            value = cells[position]
            if not value:
                continue
            target = fields
            for parent in parents:
                target = target.setdefault(parent, {})
            if column in LIST_COLUMNS:
                target[name] = _split(value)
            elif column in MONEY_COLUMNS:
                target[name] = v.as_decimal_text(value)
            else:
                target[name] = value
        return fields


class _Group:
    """An ad group being gathered: its document, path, first line and the lines of its ads."""

    __slots__ = ("doc", "path", "line", "signature", "ad_lines")

    def __init__(
        self, doc: dict[str, Any], path: DocPath, line: int, signature: tuple[str, ...]
    ) -> None:
        self.doc = doc
        self.path = path
        self.line = line
        self.signature = signature
        self.ad_lines: list[int] = []


class _Campaign:
    __slots__ = ("doc", "path", "line", "signature", "groups")

    def __init__(
        self, doc: dict[str, Any], path: DocPath, line: int, signature: tuple[str, ...]
    ) -> None:
        self.doc = doc
        self.path = path
        self.line = line
        self.signature = signature
        self.groups: dict[str, _Group] = {}


class _Grouping:
    """Groups rows by campaign key, then ad group key, remembering each entity's line. Each
    row is compared with the first of its campaign and ad group as one tuple per level;
    only a mismatch is examined cell by cell."""

    def __init__(self, source: str, header: list[str]) -> None:
        self.source = source
        self.problems: list[str] = []
        self.lines: dict[DocPath, int] = {}
        self.ad_lines: dict[DocPath, list[int]] = {}
        index = {column: position for position, column in enumerate(header)}
        self.set_level = _Level(SET_COLUMNS, index)
        self.campaign_level = _Level(CAMPAIGN_COLUMNS, index)
        self.group_level = _Level({**AD_GROUP_COLUMNS, "keywords": KEYWORDS_COLUMN}, index)
        self.ad_level = _Level(AD_COLUMNS, index)
        self.campaign_key = index["campaign_key"]
        self.group_key = index["ad_group_key"]
        self.keywords = index.get(KEYWORDS_COLUMN)

    def group(self, rows: Iterator[list[str]]) -> dict[str, Any] | None:
        """The document the rows describe, or None when there are none."""
        first = next(rows, None)
        if first is None:
            return None
        doc: dict[str, Any] = {**self.set_level.fields_of(first), "campaigns": []}
        self.lines[()] = 2
        set_signature = self.set_level.signature(first)
        campaigns: dict[str, _Campaign] = {}
        for line, cells in enumerate(_chain(first, rows), start=2):
            signature = self.set_level.signature(cells)
            if signature != set_signature:
                self._differs(self.set_level, signature, set_signature, line, 2, "the set")
            campaign_key = cells[self.campaign_key]
            signature = self.campaign_level.signature(cells)
            campaign = campaigns.get(campaign_key)
            if campaign is None:
                path: DocPath = ("campaigns", len(doc["campaigns"]))
                campaign_doc = {**self.campaign_level.fields_of(cells), "ad_groups": []}
                doc["campaigns"].append(campaign_doc)
                campaign = campaigns[campaign_key] = _Campaign(campaign_doc, path, line, signature)
                self.lines[path] = line
            elif signature != campaign.signature:
                self._differs(
                    self.campaign_level,
                    signature,
                    campaign.signature,
                    line,
                    campaign.line,
                    "campaign",
                )
            group_key = cells[self.group_key]
            signature = self.group_level.signature(cells)
            group = campaign.groups.get(group_key)
            if group is None:
                group_path: DocPath = (*campaign.path, "ad_groups", len(campaign.doc["ad_groups"]))
                keywords = cells[self.keywords] if self.keywords is not None else ""
                group_doc = {
                    **self._group_fields(cells),
                    "keywords": _keywords(keywords),
                    "ads": [],
                }
                campaign.doc["ad_groups"].append(group_doc)
                group = campaign.groups[group_key] = _Group(group_doc, group_path, line, signature)
                self.lines[group_path] = line
                self.ad_lines[group_path] = group.ad_lines
            elif signature != group.signature:
                self._differs(
                    self.group_level, signature, group.signature, line, group.line, "ad group"
                )
            group.ad_lines.append(line)
            group.doc["ads"].append(self.ad_level.fields_of(cells))
        return doc

    def _group_fields(self, cells: list[str]) -> dict[str, Any]:
        fields = self.group_level.fields_of(cells)
        fields.pop("keywords", None)
        return fields

    def _differs(
        self,
        level: _Level,
        got: tuple[str, ...],
        expected: tuple[str, ...],
        line: int,
        first_line: int,
        what: str,
    ) -> None:
        """Repeated columns must repeat the same value: which one would win is a guess."""
        for column, value, first in zip(level.columns, got, expected, strict=True):
            if value != first:
                self.problems.append(
                    f"{self.source}: line {line}, column {column}: differs from line "
                    f"{first_line} for the same {what} "
                    f"(got {value or None!r}, expected {first or None!r})"
                )

    def locate(self, path: DocPath) -> str:
        if len(path) >= 6 and path[4] == "ads" and isinstance(path[5], int):
            depth, line = 6, self.ad_lines[path[:4]][path[5]]
        else:
            depth = len(path)
            while path[:depth] not in self.lines:
                depth -= 1
            line = self.lines[path[:depth]]
        rest = path[depth:]
        where = f"{self.source}: line {line}"
        if not rest:
            return where
        if rest[0] == "keywords":
            suffix = f" (item {int(rest[1]) + 1})" if len(rest) > 1 else ""
            return f"{where}, column {KEYWORDS_COLUMN}{suffix}"
        if rest[0] in _CHILD_COLUMNS:
            return f"{where}, column {_CHILD_COLUMNS[str(rest[0])]}"
        columns = {0: SET_COLUMNS, 2: CAMPAIGN_COLUMNS, 4: AD_GROUP_COLUMNS}.get(depth, AD_COLUMNS)
        field = ".".join(str(part) for part in rest)
        column = columns.get(field) or next(
            (c for f, c in columns.items() if f.startswith(field + ".")), field
        )
        return f"{where}, column {column}"


def _chain(first: list[str], rest: Iterator[list[str]]) -> Iterator[list[str]]:
    yield first
    yield from rest

"""The flat CSV format: one row per ad, the set, campaign and ad group columns repeated
(see README, "Import format"). Rows are grouped into the JSON format's shape and built by
the same code, so both formats obey the same rules. Problems name the line (the header is
line 1) and the column.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path
from typing import Any

import pandas as pd

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
    options: dict[str, Any] = {"dtype": str, "keep_default_na": False, "skipinitialspace": True}
    try:
        # Everything as text: pandas would otherwise turn 1.10 into a float and "" into NaN.
        frame = pd.read_csv(path, **options)
        # The header as written: pandas renames a repeated column ("budget_amount.1").
        header = pd.read_csv(path, header=None, nrows=1, **options).iloc[0].tolist()
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        reason = str(exc).strip().splitlines()[0]
        raise ValidationFailed([f"{path.name}: not valid CSV ({reason})"]) from None
    return parse_rows(header, frame.to_dict("records"), path.name)


def parse_rows(columns: list[str], rows: list[dict[str, str]], source: str) -> CampaignSet:
    """`columns` is the header as written; `rows` map each (unique) column to its cell."""
    header = _header_problems(columns, source)
    if header:
        raise ValidationFailed(header)
    if not rows:
        raise ValidationFailed([f"{source}: line 2: no rows (one row per ad is expected)"])
    grouping = _Grouping(source)
    doc = grouping.group(rows)
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


def _cell(row: dict[str, str], column: str) -> str | None:
    value = (row.get(column) or "").strip()
    return value or None


def _split(value: str) -> list[str]:
    return [item.strip() for item in value.split(LIST_SEPARATOR) if item.strip()]


def _fields(row: dict[str, str], columns: dict[str, str]) -> dict[str, Any]:
    """Cells of one level as the JSON shape's nested fields; empty cells are absent."""
    fields: dict[str, Any] = {}
    for field, column in columns.items():
        value = _cell(row, column)
        if value is None:
            continue
        target = fields
        *parents, name = field.split(".")
        for parent in parents:
            target = target.setdefault(parent, {})
        if column in LIST_COLUMNS:
            target[name] = _split(value)
        elif column in MONEY_COLUMNS:
            target[name] = v.as_decimal_text(value)
        else:
            target[name] = value
    return fields


def _keywords(value: str | None) -> list[dict[str, str]]:
    keywords = []
    for item in _split(value or ""):
        text, _, match_type = item.partition(MATCH_SEPARATOR)
        keyword = {"text": text.strip()}
        if match_type.strip():
            keyword["match_type"] = match_type.strip()
        keywords.append(keyword)
    return keywords


class _Grouping:
    """Groups rows by campaign key, then ad group key, remembering each entity's line."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.problems: list[str] = []
        self.lines: dict[DocPath, int] = {}

    def group(self, rows: list[dict[str, str]]) -> dict[str, Any]:
        doc: dict[str, Any] = {**_fields(rows[0], SET_COLUMNS), "campaigns": []}
        self.lines[()] = 2
        campaigns: dict[str | None, tuple[dict[str, Any], dict[str, Any]]] = {}
        for index, row in enumerate(rows):
            line = index + 2
            self._same(row, line, rows[0], 2, SET_COLUMNS, "the set")
            campaign_key = _cell(row, "campaign_key")
            if campaign_key not in campaigns:
                path: DocPath = ("campaigns", len(doc["campaigns"]))
                campaign = {**_fields(row, CAMPAIGN_COLUMNS), "ad_groups": []}
                doc["campaigns"].append(campaign)
                campaigns[campaign_key] = (campaign, {"path": path, "row": row, "groups": {}})
                self.lines[path] = line
            campaign, seen = campaigns[campaign_key]
            first_line = self.lines[seen["path"]]
            self._same(row, line, seen["row"], first_line, CAMPAIGN_COLUMNS, "campaign")
            group_key = _cell(row, "ad_group_key")
            if group_key not in seen["groups"]:
                group_path: DocPath = (*seen["path"], "ad_groups", len(campaign["ad_groups"]))
                group = {
                    **_fields(row, AD_GROUP_COLUMNS),
                    "keywords": _keywords(_cell(row, KEYWORDS_COLUMN)),
                    "ads": [],
                }
                campaign["ad_groups"].append(group)
                seen["groups"][group_key] = (group, group_path, row)
                self.lines[group_path] = line
            group, group_path, group_row = seen["groups"][group_key]
            columns = {**AD_GROUP_COLUMNS, "keywords": KEYWORDS_COLUMN}
            self._same(row, line, group_row, self.lines[group_path], columns, "ad group")
            self.lines[(*group_path, "ads", len(group["ads"]))] = line
            group["ads"].append(_fields(row, AD_COLUMNS))
        return doc

    def _same(
        self,
        row: dict[str, str],
        line: int,
        first: dict[str, str],
        first_line: int,
        columns: dict[str, str],
        what: str,
    ) -> None:
        """Repeated columns must repeat the same value: which one would win is a guess."""
        if line == first_line:
            return
        for column in columns.values():
            if _cell(row, column) != _cell(first, column):
                self.problems.append(
                    f"{self.source}: line {line}, column {column}: differs from line "
                    f"{first_line} for the same {what} "
                    f"(got {_cell(row, column)!r}, expected {_cell(first, column)!r})"
                )

    def locate(self, path: DocPath) -> str:
        depth = len(path)
        while path[:depth] not in self.lines:
            depth -= 1
        entity, rest = path[:depth], path[depth:]
        where = f"{self.source}: line {self.lines[entity]}"
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

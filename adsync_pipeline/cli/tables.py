"""Text a person reads: aligned tables with a header row, and counts with agreeing nouns."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from adsync_pipeline.domain.text import printable

GAP = "  "
EMPTY = "-"
# The store's level names (`ImportResult.counts`, ...) and the noun for one of each.
LEVEL_NOUNS = {"campaigns": "campaign", "ad_groups": "ad group", "ads": "ad", "keywords": "keyword"}


def plural(count: int, noun: str, plural_form: str | None = None) -> str:
    """'1 campaign', '2 campaigns', '0 campaigns'; `plural_form` for irregular nouns."""
    return f"{count} {noun if count == 1 else (plural_form or noun + 's')}"


def level_counts(counts: dict[str, int]) -> str:
    """'1 campaign, 2 ad groups, 2 ads, 0 keywords' from counts keyed by level."""
    return ", ".join(plural(n, LEVEL_NOUNS.get(level, level)) for level, n in counts.items())


def cell(value: object) -> str:
    """One table cell: absent values as '-', times to the second, and control characters
    escaped (`printable`), so no stored value can break a row or forge one."""
    if value is None or value == "":
        return EMPTY
    if isinstance(value, datetime):
        return f"{value:%Y-%m-%d %H:%M:%S}"
    return printable(str(value))


def table(headers: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    """Columns aligned under a header row; numbers right-aligned; the last column unpadded,
    so a long message there does not widen every line."""
    raw = [list(row) for row in rows]
    cells = [[cell(value) for value in row] for row in raw]
    numeric = [bool(raw) and all(_is_number(row[i]) for row in raw) for i in range(len(headers))]
    widths = [max([len(h), *(len(row[i]) for row in cells)]) for i, h in enumerate(headers)]

    def line(values: Sequence[str]) -> str:
        parts = [
            value.rjust(width) if numeric[i] else value.ljust(width)
            for i, (value, width) in enumerate(zip(values, widths, strict=True))
        ]
        return GAP.join(parts).rstrip()

    return "\n".join([line(headers), *(line(row) for row in cells)])


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)

"""Text a person reads: aligned tables with a header row, and counts with agreeing nouns."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

GAP = "  "
EMPTY = "-"


def plural(count: int, noun: str, plural_form: str | None = None) -> str:
    """'1 campaign', '2 campaigns', '0 campaigns'; `plural_form` for irregular nouns."""
    return f"{count} {noun if count == 1 else (plural_form or noun + 's')}"


def cell(value: object) -> str:
    """One table cell: absent values as '-', times to the second, no line breaks."""
    if value is None or value == "":
        return EMPTY
    if isinstance(value, datetime):
        return f"{value:%Y-%m-%d %H:%M:%S}"
    return " ".join(str(value).split())


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

"""The JSON document format (the canonical one; see README, "Import format")."""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

from adsync_pipeline.domain.model import CampaignSet
from adsync_pipeline.errors import ValidationFailed
from adsync_pipeline.imports.builder import Locator, build_campaign_set
from adsync_pipeline.imports.builder import Path as DocPath

# The format nests seven containers deep (set > campaigns > campaign > ad_groups > ad group
# > targeting > subreddits); the cap leaves room for mistakes and none for a stack overflow.
MAX_DEPTH = 32
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def json_path(path: DocPath) -> str:
    """("campaigns", 1, "budget", "amount") -> "campaigns[1].budget.amount". A key that is
    not a plain name is shown JSON-quoted, so no key can forge or break a problem line."""
    text = ""
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
        elif not _IDENTIFIER.fullmatch(part):
            text += f"[{json.dumps(part)}]"
        else:
            text += f".{part}" if text else part
    return text or "(document)"


class _Object(dict[str, Any]):
    """A JSON object that remembers the keys it was given more than once (json keeps the
    last silently: a second `amount` would win unseen)."""

    repeated: tuple[str, ...] = ()


def _object(pairs: list[tuple[str, Any]]) -> _Object:
    obj = _Object(pairs)
    if len(obj) < len(pairs):
        counts = Counter(key for key, _ in pairs)
        obj.repeated = tuple(key for key, count in counts.items() if count > 1)
    return obj


def _containers(doc: Any) -> Iterator[tuple[Any, DocPath, int]]:
    """Every object and list with its path and depth (the document is depth 1), in
    document order, without recursion; nothing below MAX_DEPTH + 1 is visited."""
    stack: list[tuple[Any, DocPath, int]] = [(doc, (), 1)]
    while stack:
        value, path, depth = stack.pop()
        if not isinstance(value, dict | list):
            continue
        yield value, path, depth
        if depth > MAX_DEPTH:
            continue
        items = value.items() if isinstance(value, dict) else enumerate(value)
        children = [(child, (*path, key), depth + 1) for key, child in items]
        stack.extend(reversed(children))


def _shape_problems(doc: Any, locate: Locator) -> tuple[list[str], bool]:
    """Repeated keys and nesting beyond MAX_DEPTH; the flag says whether it is too deep to
    look at further (its values could not even be shown in a problem)."""
    problems: list[str] = []
    too_deep = False
    for value, path, depth in _containers(doc):
        if depth > MAX_DEPTH:
            problems.append(f"{locate(path)}: nested deeper than {MAX_DEPTH} levels")
            too_deep = True
            continue
        for key in getattr(value, "repeated", ()):
            problems.append(f"{locate((*path, key))}: duplicate key (each key may appear once)")
    return problems, too_deep


def parse_json(text: str, source: str) -> CampaignSet:
    """`source` names the file in problems. Every number is read as a Decimal straight from
    the text: 0.1 stays 0.1, a third decimal is caught rather than rounded away, and a
    number of any size or digit count is a value the rules can reject, not a crash."""

    def locate(path: DocPath) -> str:
        return f"{source}: {json_path(path)}"

    try:
        doc = json.loads(
            text,
            parse_float=Decimal,
            parse_int=Decimal,
            parse_constant=Decimal,
            object_pairs_hook=_object,
        )
    except json.JSONDecodeError as exc:
        raise ValidationFailed(
            [f"{source}: line {exc.lineno}, column {exc.colno}: not valid JSON ({exc.msg})"]
        ) from None
    except RecursionError:
        raise ValidationFailed(
            [f"{source}: (document): nested deeper than {MAX_DEPTH} levels"]
        ) from None
    problems, too_deep = _shape_problems(doc, locate)
    if too_deep:
        raise ValidationFailed(problems)
    return build_campaign_set(doc, locate, problems)


def read_json(path: Path) -> CampaignSet:
    return parse_json(path.read_text(encoding="utf-8"), path.name)

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


def _loads(text: str) -> tuple[Any, dict[int, tuple[str, ...]]]:
    """The document, every number a Decimal, and the keys each object was given more than
    once, by the object's id (json keeps the last silently: a second `amount` would win
    unseen). Plain dicts, so a large document parses nearly as fast as without the check."""
    repeated: dict[int, tuple[str, ...]] = {}

    def build_object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        obj = dict(pairs)
        if len(obj) < len(pairs):
            counts = Counter(key for key, _ in pairs)
            repeated[id(obj)] = tuple(key for key, count in counts.items() if count > 1)
        return obj

    doc = json.loads(
        text,
        parse_float=Decimal,
        parse_int=Decimal,
        parse_constant=Decimal,
        object_pairs_hook=build_object,
    )
    return doc, repeated


def _too_deep(doc: Any) -> bool:
    """Whether any container sits deeper than MAX_DEPTH, one level at a time: no recursion,
    no paths (those are built only for a document that has a problem)."""
    level = [doc] if isinstance(doc, dict | list) else []
    for _ in range(MAX_DEPTH):
        level = [
            child
            for value in level
            for child in (value.values() if type(value) is dict else value)
            if type(child) is dict or type(child) is list
        ]
        if not level:
            return False
    return True


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


def _shape_problems(doc: Any, repeated: dict[int, tuple[str, ...]], locate: Locator) -> list[str]:
    """Repeated keys and nesting beyond MAX_DEPTH, each at its path, in document order."""
    problems: list[str] = []
    for value, path, depth in _containers(doc):
        if depth > MAX_DEPTH:
            problems.append(f"{locate(path)}: nested deeper than {MAX_DEPTH} levels")
            continue
        for key in repeated.get(id(value), ()):
            problems.append(f"{locate((*path, key))}: duplicate key (each key may appear once)")
    return problems


def parse_json(text: str, source: str) -> CampaignSet:
    """`source` names the file in problems. Every number is read as a Decimal straight from
    the text: 0.1 stays 0.1, a third decimal is caught rather than rounded away, and a
    number of any size or digit count is a value the rules can reject, not a crash."""

    def locate(path: DocPath) -> str:
        return f"{source}: {json_path(path)}"

    try:
        doc, repeated = _loads(text)
    except json.JSONDecodeError as exc:
        raise ValidationFailed(
            [f"{source}: line {exc.lineno}, column {exc.colno}: not valid JSON ({exc.msg})"]
        ) from None
    except RecursionError:
        raise ValidationFailed(
            [f"{source}: (document): nested deeper than {MAX_DEPTH} levels"]
        ) from None
    too_deep = _too_deep(doc)
    problems = _shape_problems(doc, repeated, locate) if repeated or too_deep else []
    if too_deep:
        # Its values could not even be shown in a problem: nothing more is looked at.
        raise ValidationFailed(problems)
    return build_campaign_set(doc, locate, problems)


def read_json(path: Path) -> CampaignSet:
    return parse_json(path.read_text(encoding="utf-8"), path.name)

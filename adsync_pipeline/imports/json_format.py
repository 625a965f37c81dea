"""The JSON document format (the canonical one; see README, "Import format")."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

from adsync_pipeline.domain.model import CampaignSet
from adsync_pipeline.errors import ValidationFailed
from adsync_pipeline.imports.builder import Path as DocPath
from adsync_pipeline.imports.builder import build_campaign_set


def json_path(path: DocPath) -> str:
    """("campaigns", 1, "budget", "amount") -> "campaigns[1].budget.amount"."""
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else part)
    return text or "(document)"


def parse_json(text: str, source: str) -> CampaignSet:
    """`source` names the file in problems. Money is read as Decimal straight from the
    text, so 0.1 stays 0.1 and a third decimal is caught rather than rounded away."""
    try:
        doc = json.loads(text, parse_float=Decimal)
    except json.JSONDecodeError as exc:
        raise ValidationFailed(
            [f"{source}: line {exc.lineno}, column {exc.colno}: not valid JSON ({exc.msg})"]
        ) from None
    return build_campaign_set(doc, lambda path: f"{source}: {json_path(path)}")


def read_json(path: Path) -> CampaignSet:
    return parse_json(path.read_text(encoding="utf-8"), path.name)

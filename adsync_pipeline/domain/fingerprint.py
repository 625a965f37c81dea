"""Canonical fingerprints of an entity's pushable fields.

The same fields give the same fingerprint in every process and Python version: values are
reduced to JSON primitives (money as Decimal strings, times as UTC ISO-8601, enums as their
values), keys sorted, no whitespace, then SHA-256. Ids, timestamps of our own and sync
bookkeeping never enter, so only a real edit changes a fingerprint.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from decimal import Decimal
from enum import Enum
from typing import Any

from adsync_pipeline.domain.model import Ad, AdGroup, Campaign, Entity, Keyword


def canonical_value(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | str):
        return value.value if isinstance(value, Enum) else value
    if isinstance(value, Enum):
        return canonical_value(value.value)
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    if isinstance(value, float):
        return format(Decimal(str(value)).normalize(), "f")
    if isinstance(value, datetime):
        aware = value if value.tzinfo else value.replace(tzinfo=UTC)
        return aware.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    if isinstance(value, list | tuple):
        return [canonical_value(v) for v in value]
    if isinstance(value, dict):
        return {str(k): canonical_value(v) for k, v in value.items()}
    raise TypeError(f"no canonical form for {type(value).__name__}")


def pushable_fields(entity: Entity) -> dict[str, Any]:
    """The fields a push sends for this entity, canonicalised; the basis of comparisons."""
    if isinstance(entity, Campaign):
        fields: dict[str, Any] = {
            "name": entity.name,
            "objective": entity.objective,
            "status": entity.status,
            "budget_type": entity.budget.type,
            "budget_amount": entity.budget.amount,
            "budget_currency": entity.budget.currency,
            "start_time": entity.start_time,
            "end_time": entity.end_time,
        }
    elif isinstance(entity, AdGroup):
        fields = {
            "name": entity.name,
            "status": entity.status,
            "bid_strategy": entity.bidding.strategy,
            "bid_amount": entity.bidding.amount,
            "subreddits": entity.targeting.subreddits,
            "interests": entity.targeting.interests,
            "locations": entity.targeting.locations,
            "devices": entity.targeting.devices,
            "optimization_goal": entity.optimization_goal,
        }
    elif isinstance(entity, Ad):
        fields = {
            "name": entity.name,
            "status": entity.status,
            "headline": entity.headline,
            "description": entity.description,
            "final_url": entity.final_url,
            "display_url": entity.display_url,
            "call_to_action": entity.call_to_action,
        }
    elif isinstance(entity, Keyword):
        fields = {"text": entity.text, "match_type": entity.match_type}
    else:
        raise TypeError(f"not an entity: {type(entity).__name__}")
    return {k: canonical_value(v) for k, v in fields.items()}


def fingerprint_of_fields(fields: dict[str, Any]) -> str:
    encoded = json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return hashlib.sha256(encoded.encode("ascii")).hexdigest()


def fingerprint(entity: Entity) -> str:
    return fingerprint_of_fields(pushable_fields(entity))

"""In-memory state of the Reddit sandbox: accounts, entities, OAuth tokens.

Everything is plain JSON-able dicts so the whole state can be dumped, persisted and reloaded.
Keys starting with "_" are sandbox bookkeeping and never leave through the Ads API.
"""

from __future__ import annotations

import copy
import json
import random
import secrets
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

AD_ACCOUNT_ID = "t2_sandbox01"
BUSINESS_ID = "6f1d2c3b-4a5e-4f60-8a7b-9c0d1e2f3a4b"
MEMBER_ID = "t2_sandboxmember"
PROFILE_ID = "t2_sandboxprofile"
PIXEL_ID = "t2_sandboxpixel"
FUNDING_INSTRUMENT_ID = "8b7a6c5d-0000-4000-8000-000000000001"
UNSERVABLE_FUNDING_INSTRUMENT_ID = "8b7a6c5d-0000-4000-8000-000000000002"
CLIENT_ID = "sandbox-client"
CLIENT_SECRET = "sandbox-secret"
REFRESH_TOKEN = "sandbox-refresh-token"
ALL_SCOPES = "adsread adsedit adsconversions history"

ENTITY_KINDS = ("campaigns", "ad_groups", "ads", "posts")
# Numeric ids look like Reddit's (19 digits) and only ever grow.
FIRST_NUMERIC_ID = 1_786_000_000_000_000_000


def now_iso() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _seed_accounts() -> dict[str, Any]:
    created = "2026-01-05T10:00:00.000000Z"
    return {
        "me": {
            "type": "MEMBER",
            "id": MEMBER_ID,
            "email": "sandbox@example.com",
            "firstname": "Sandbox",
            "lastname": "User",
            "phone": None,
            "reddit_user_id": MEMBER_ID,
            "reddit_username": "adsync_sandbox",
        },
        "businesses": {
            BUSINESS_ID: {
                "id": BUSINESS_ID,
                "name": "Sandbox Business",
                "agency_affiliated": False,
                "country": "US",
                "industry": "TECHNOLOGY",
                "creator_id": MEMBER_ID,
                "primary_contact_id": MEMBER_ID,
                "phone": None,
                "website_url": "https://example.com",
                "created_at": created,
                "modified_at": created,
            }
        },
        "ad_accounts": {
            AD_ACCOUNT_ID: {
                "id": AD_ACCOUNT_ID,
                "name": "Sandbox Ad Account",
                "business_id": BUSINESS_ID,
                "currency": "USD",
                "time_zone_id": "America/New_York",
                "type": "SELF_SERVE",
                "admin_approval": "TRUSTED",
                "attribution_type": "ALL_CONVERSION",
                "click_attribution_window": "MONTH",
                "view_attribution_window": "DAY",
                "primary_contact_member_id": MEMBER_ID,
                "excluded_communities": None,
                "excluded_keywords": None,
                "spend_cap_type": None,
                "suspension_reason": None,
                "created_at": created,
                "modified_at": created,
            }
        },
        "funding_instruments": {
            FUNDING_INSTRUMENT_ID: funding_instrument(
                FUNDING_INSTRUMENT_ID, "Sandbox credit line", True
            ),
            UNSERVABLE_FUNDING_INSTRUMENT_ID: funding_instrument(
                UNSERVABLE_FUNDING_INSTRUMENT_ID, "Expired card", False
            ),
        },
        "profiles": {
            PROFILE_ID: {
                "id": PROFILE_ID,
                "name": "u/adsync_sandbox_brand",
                "reddit_user_id": PROFILE_ID,
                "business_id": BUSINESS_ID,
                "_ad_account_id": AD_ACCOUNT_ID,
                "modified_at": created,
            }
        },
        "pixels": {
            PIXEL_ID: {
                "id": PIXEL_ID,
                "name": "Sandbox Pixel",
                "business_id": BUSINESS_ID,
                "_ad_account_id": AD_ACCOUNT_ID,
                "created_at": created,
                "created_by": MEMBER_ID,
                "modified_at": created,
                "modified_by": MEMBER_ID,
            }
        },
    }


def funding_instrument(
    fid: str, name: str, servable: bool, account_id: str = AD_ACCOUNT_ID
) -> dict[str, Any]:
    return {
        "id": fid,
        "name": name,
        "_ad_account_id": account_id,
        "currency": "USD",
        "credit_limit": 10_000_000_000,
        "billable_amount": 0,
        "start_time": "2026-01-01T00:00:00Z",
        "end_time": None,
        "is_servable": servable,
        "reasons_not_servable": [] if servable else ["CREDIT_CARD_EXPIRED"],
        "invoice_group_status": None,
        "authorize_status": "APPROVED" if servable else "DECLINE_TERMINAL",
    }


def fresh_state() -> dict[str, Any]:
    state = _seed_accounts()
    state.update({kind: {} for kind in ENTITY_KINDS})
    state["oauth"] = {
        "codes": {},
        "access_tokens": {},
        "refresh_tokens": {
            REFRESH_TOKEN: {"client_id": CLIENT_ID, "scope": ALL_SCOPES, "revoked": False}
        },
    }
    state["next_id"] = FIRST_NUMERIC_ID
    return state


class SandboxState:
    """Thread-safe holder of the state dict, with optional JSON persistence."""

    def __init__(self, state_file: str | Path | None = None, seed: int = 0) -> None:
        self._lock = threading.RLock()
        self._rng = random.Random(seed)
        self.state_file = Path(state_file) if state_file else None
        self.data = fresh_state()
        if self.state_file and self.state_file.is_file():
            self.data = json.loads(self.state_file.read_text(encoding="utf-8"))

    @contextmanager
    def reading(self) -> Iterator[dict[str, Any]]:
        with self._lock:
            yield self.data

    @contextmanager
    def writing(self) -> Iterator[dict[str, Any]]:
        with self._lock:
            yield self.data
            self._save()

    def _save(self) -> None:
        if self.state_file is None:
            return
        tmp = self.state_file.with_suffix(self.state_file.suffix + ".tmp")
        tmp.write_text(json.dumps(self.data, indent=1, sort_keys=True), encoding="utf-8")
        tmp.replace(self.state_file)

    def reset(self) -> None:
        with self.writing():
            self.data = fresh_state()

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            return copy.deepcopy(self.data)

    def new_numeric_id(self) -> str:
        # Gaps between ids, like Reddit's, keep clients from assuming id arithmetic.
        with self._lock:
            self.data["next_id"] += self._rng.randint(1, 997)
            return str(self.data["next_id"])

    def new_post_id(self) -> str:
        return "t3_" + _base36(int(self.new_numeric_id()) % 36**7)

    def new_token(self, prefix: str) -> str:
        return f"{prefix}-{secrets.token_urlsafe(24)}"

    def find(self, kind: str, entity_id: str) -> dict[str, Any] | None:
        with self._lock:
            return self.data.get(kind, {}).get(entity_id)

    def select(self, kind: str, keep: Callable[[dict[str, Any]], bool]) -> list[dict[str, Any]]:
        with self._lock:
            return [copy.deepcopy(e) for e in self.data[kind].values() if keep(e)]


def _base36(value: int) -> str:
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    out = ""
    while True:
        value, rem = divmod(value, 36)
        out = digits[rem] + out
        if value == 0:
            return out

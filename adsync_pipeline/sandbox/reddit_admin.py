"""Admin endpoints of the Reddit sandbox, under /_admin, without auth and outside the API log.

They stand in for "a person using Reddit Ads Manager" (edits, deletions) and for the test
harness (state dumps, faults, request log, bulk seeding).
"""

from __future__ import annotations

import copy
import json
import re
import uuid
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from adsync_pipeline.sandbox import reddit_api as api
from adsync_pipeline.sandbox.reddit_state import (
    AD_ACCOUNT_ID,
    BUSINESS_ID,
    MEMBER_ID,
    funding_instrument,
    now_iso,
)

if TYPE_CHECKING:
    from adsync_pipeline.sandbox.reddit import RedditSandbox

ADMIN_PREFIX = "/_admin"
EDITABLE_KINDS = {"campaigns", "ad_groups", "ads", "posts"}
_ENTITY = re.compile(r"^/(?P<kind>\w+)/(?P<id>[^/]+)(?P<delete>/delete)?$")


async def admin_routes(sb: RedditSandbox, request: Request) -> Response:
    path, method = request.url.path.removeprefix(ADMIN_PREFIX), request.method
    try:
        body = json.loads(await request.body() or b"null")
    except ValueError:
        return JSONResponse({"error": "body is not JSON"}, status_code=400)
    try:
        return _route(sb, method, path, body)
    except (ValueError, TypeError, KeyError) as exc:
        return JSONResponse({"error": str(exc)}, status_code=400)


def _route(sb: RedditSandbox, method: str, path: str, body: Any) -> Response:
    simple = {
        ("GET", "/state"): lambda: sb.state.snapshot(),
        ("POST", "/reset"): lambda: _reset(sb),
        ("GET", "/faults"): lambda: sb.faults.as_dict(),
        ("PUT", "/faults"): lambda: _put_faults(sb, body),
        ("GET", "/config"): lambda: sb.timing.as_dict(),
        ("PUT", "/config"): lambda: _put_config(sb, body),
        ("POST", "/expire_tokens"): lambda: {"expired": sb.expire_tokens()},
        ("GET", "/requests"): lambda: sb.requests(),
        ("DELETE", "/requests"): lambda: _clear_requests(sb),
        ("POST", "/seed_campaigns"): lambda: seed_campaigns(sb, **(body or {})),
        ("POST", "/ad_accounts"): lambda: add_ad_account(sb, **(body or {})),
    }
    if (method, path) in simple:
        return JSONResponse(simple[(method, path)]())
    found = _ENTITY.match(path)
    if found and found["kind"] in EDITABLE_KINDS:
        if method == "PATCH" and not found["delete"]:
            return _edit(sb, found["kind"], found["id"], body)
        if method == "POST" and found["delete"]:
            return _delete(sb, found["kind"], found["id"])
    return JSONResponse({"error": "not found"}, status_code=404)


def _reset(sb: RedditSandbox) -> dict[str, bool]:
    sb.reset()
    return {"reset": True}


def _put_faults(sb: RedditSandbox, body: dict[str, Any]) -> dict[str, Any]:
    sb.set_faults(**body)
    return sb.faults.as_dict()


def _put_config(sb: RedditSandbox, body: dict[str, Any]) -> dict[str, Any]:
    sb.configure(**body)
    return sb.timing.as_dict()


def _clear_requests(sb: RedditSandbox) -> dict[str, bool]:
    sb.clear_requests()
    return {"cleared": True}


def _edit(sb: RedditSandbox, kind: str, entity_id: str, body: Any) -> Response:
    """Changes fields the way a person in Ads Manager would: no API validation."""
    changes = body.get("data", body) if isinstance(body, dict) else None
    if not isinstance(changes, dict):
        return JSONResponse({"error": "body must be an object of fields"}, status_code=400)
    with sb.state.writing() as data:
        entity = data[kind].get(entity_id)
        if entity is None:
            return JSONResponse({"error": f"{kind} {entity_id} not found"}, status_code=404)
        if kind == "posts":
            entity.update(changes)
        else:
            api.apply_patch(sb, kind, entity, changes)
        return JSONResponse({"data": api.public(sb, kind, entity)})


def _delete(sb: RedditSandbox, kind: str, entity_id: str) -> Response:
    with sb.state.writing() as data:
        if data[kind].pop(entity_id, None) is None:
            return JSONResponse({"error": f"{kind} {entity_id} not found"}, status_code=404)
    return JSONResponse({"deleted": entity_id})


def seed_campaigns(
    sb: RedditSandbox,
    ad_account_id: str = AD_ACCOUNT_ID,
    count: int = 10,
    name_prefix: str = "Seeded campaign",
) -> dict[str, Any]:
    """Bulk-creates valid paused campaigns directly in state, for pagination tests."""
    stamp = now_iso()
    with sb.state.writing() as data:
        api.account_or_404(data, ad_account_id)
        ids = []
        for index in range(int(count)):
            entity = {
                **api.DEFAULTS["campaigns"],
                "id": sb.state.new_numeric_id(),
                "ad_account_id": ad_account_id,
                "name": f"{name_prefix} {index + 1:05d}",
                "objective": "IMPRESSIONS",
                "configured_status": "PAUSED",
                "created_at": stamp,
                "modified_at": stamp,
                "_previous_effective_status": "PAUSED",
                "_status_changed_at": 0.0,
            }
            data["campaigns"][entity["id"]] = entity
            ids.append(entity["id"])
    return {"created": len(ids), "ids": ids}


def add_ad_account(
    sb: RedditSandbox,
    id: str,  # noqa: A002 (the field's name in Reddit's payloads)
    name: str | None = None,
    business_id: str = BUSINESS_ID,
    currency: str = "USD",
    with_resources: bool = True,
) -> dict[str, Any]:
    """Adds an ad account to a business, as if it had been opened in Ads Manager; with
    `with_resources`, also a servable funding instrument in its currency and a profile."""
    if not isinstance(id, str) or not id:
        raise ValueError("id must be a non-empty string")
    stamp = now_iso()
    with sb.state.writing() as data:
        if business_id not in data["businesses"]:
            raise KeyError(f"business {business_id} not found")
        if id in data["ad_accounts"]:
            raise ValueError(f"ad account {id} already exists")
        account = {
            **copy.deepcopy(data["ad_accounts"].get(AD_ACCOUNT_ID) or {}),
            "id": id,
            "name": name or f"Sandbox Ad Account {id}",
            "business_id": business_id,
            "currency": currency,
            "primary_contact_member_id": MEMBER_ID,
            "created_at": stamp,
            "modified_at": stamp,
        }
        data["ad_accounts"][id] = account
        if with_resources:
            fid = str(uuid.uuid5(uuid.NAMESPACE_URL, f"sandbox:funding:{id}"))
            instrument = funding_instrument(fid, f"Credit line of {id}", True, account_id=id)
            data["funding_instruments"][fid] = {**instrument, "currency": currency}
            profile_id = f"{id}_profile"
            data["profiles"][profile_id] = {
                "id": profile_id,
                "name": f"u/{id}_brand",
                "reddit_user_id": profile_id,
                "business_id": business_id,
                "_ad_account_id": id,
                "modified_at": stamp,
            }
        return {"data": copy.deepcopy(account)}

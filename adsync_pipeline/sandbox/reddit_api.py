"""Handlers of the emulated Reddit Ads API v3 and OAuth endpoints.

Handlers are synchronous and hold the state lock for their whole run, so each request is
atomic. They return (status, body) or raise ApiError; the app layer renders both.
"""

from __future__ import annotations

import base64
import copy
import re
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from adsync_pipeline.sandbox import reddit_spec
from adsync_pipeline.sandbox import reddit_validation as rules
from adsync_pipeline.sandbox.reddit_state import CLIENT_ID, CLIENT_SECRET, now_iso

if TYPE_CHECKING:
    from adsync_pipeline.sandbox.reddit import RedditSandbox

Entity = dict[str, Any]
Result = tuple[int, Any]

DEFAULT_PAGE_SIZE = 100
# Reddit throttles generic agents hard; these are the library defaults clients forget to change.
DEFAULT_AGENT_PREFIXES = (
    "python-httpx/",
    "python-requests/",
    "python-urllib/",
    "aiohttp/",
    "okhttp/",
    "java/",
    "go-http-client/",
)
CREATE_KINDS = {"campaigns", "ad_groups", "ads", "posts"}


class ApiError(Exception):
    def __init__(
        self,
        status: int,
        message: str,
        fields: list[dict[str, str]] | None = None,
        payload: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.status, self.message, self.fields = status, message, fields
        self.payload = payload

    def body(self) -> dict[str, Any]:
        # OAuth endpoints answer in reddit.com's own shapes, not the Ads API envelope.
        if self.payload is not None:
            return self.payload
        error: dict[str, Any] = {"code": self.status, "message": self.message}
        if self.fields:
            error["fields"] = self.fields
        return {"error": error}


def invalid(fields: list[dict[str, str]]) -> ApiError:
    return ApiError(400, "Invalid request.", fields)


@dataclass
class ApiRequest:
    method: str
    params: dict[str, str]
    query: list[tuple[str, str]]
    body: Any
    url_base_of: Callable[[], str]  # scheme://host/path, without the query; only pagination asks
    path_template: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    @cached_property
    def url_base(self) -> str:
        return self.url_base_of()

    def query_values(self, name: str) -> list[str]:
        # Array filters arrive repeated (?id=1&id=2) or comma-separated (?id=1,2).
        values = [v for k, v in self.query if k == name]
        return [part for value in values for part in value.split(",") if part]

    def query_value(self, name: str) -> str | None:
        values = self.query_values(name)
        return values[0] if values else None


# --- OAuth -------------------------------------------------------------------------------


def oauth_error(status: int, body: dict[str, Any]) -> ApiError:
    return ApiError(status, str(body), payload=body)


def authorize(sb: RedditSandbox, query: dict[str, str]) -> str:
    """Auto-approves and returns the redirect location carrying the code."""
    for name in ("client_id", "response_type", "redirect_uri", "state", "scope"):
        if not query.get(name):
            raise oauth_error(400, {"error": "invalid_request", "message": f"missing {name}"})
    if query["client_id"] != CLIENT_ID:
        raise oauth_error(400, {"error": "invalid_client"})
    if query["response_type"] != "code":
        raise oauth_error(400, {"error": "unsupported_response_type"})
    code = sb.state.new_token("code")
    with sb.state.writing() as data:
        data["oauth"]["codes"][code] = {
            "redirect_uri": query["redirect_uri"],
            "scope": _scopes(query["scope"]),
            "permanent": query.get("duration", "temporary") == "permanent",
            "expires_at": time.time() + 600,
        }
    separator = "&" if "?" in query["redirect_uri"] else "?"
    return f"{query['redirect_uri']}{separator}{urlencode({'code': code, 'state': query['state']})}"


def _scopes(raw: str) -> str:
    return " ".join(s for s in re.split(r"[ ,]+", raw) if s)


def check_client(user_agent: str, basic: tuple[str, str] | None) -> None:
    agent = user_agent.strip()
    if not agent or agent.lower().startswith(DEFAULT_AGENT_PREFIXES):
        raise oauth_error(429, {"message": "Too Many Requests", "error": 429})
    if basic != (CLIENT_ID, CLIENT_SECRET):
        raise oauth_error(401, {"message": "Unauthorized", "error": 401})


def access_token(sb: RedditSandbox, form: dict[str, str]) -> Result:
    grant = form.get("grant_type")
    with sb.state.writing() as data:
        oauth = data["oauth"]
        if grant == "authorization_code":
            code = oauth["codes"].pop(form.get("code", ""), None)
            if (
                code is None
                or code["expires_at"] < time.time()
                or code["redirect_uri"] != form.get("redirect_uri")
            ):
                raise oauth_error(400, {"error": "invalid_grant"})
            refresh = sb.state.new_token("refresh") if code["permanent"] else None
            if refresh:
                oauth["refresh_tokens"][refresh] = {
                    "client_id": CLIENT_ID,
                    "scope": code["scope"],
                    "revoked": False,
                }
            return 200, _issue(sb, oauth, code["scope"], refresh)
        if grant == "refresh_token":
            refresh = form.get("refresh_token", "")
            record = oauth["refresh_tokens"].get(refresh)
            if record is None or record["revoked"]:
                raise oauth_error(400, {"error": "invalid_grant"})
            return 200, _issue(sb, oauth, record["scope"], refresh)
    raise oauth_error(400, {"error": "unsupported_grant_type"})


def _issue(sb: RedditSandbox, oauth: Entity, scope: str, refresh: str | None) -> Entity:
    token = sb.state.new_token("access")
    expires_in = sb.faults.expires_in
    oauth["access_tokens"][token] = {
        "scope": scope,
        "refresh_token": refresh,
        "expires_at": time.time() + expires_in,
    }
    body = {"access_token": token, "token_type": "bearer", "expires_in": expires_in, "scope": scope}
    if refresh:
        body["refresh_token"] = refresh
    return body


def revoke_token(sb: RedditSandbox, form: dict[str, str]) -> None:
    token = form.get("token", "")
    with sb.state.writing() as data:
        oauth = data["oauth"]
        oauth["access_tokens"].pop(token, None)
        if token in oauth["refresh_tokens"]:
            oauth["refresh_tokens"][token]["revoked"] = True
            tokens = oauth["access_tokens"]
            for access in [k for k, v in tokens.items() if v["refresh_token"] == token]:
                del tokens[access]


def bearer_scope(sb: RedditSandbox, authorization: str) -> str:
    """The scope of a valid bearer token; ApiError 401 otherwise."""
    scheme, _, token = authorization.partition(" ")
    with sb.state.reading() as data:
        record = data["oauth"]["access_tokens"].get(token.strip())
    if scheme.lower() != "bearer" or record is None:
        raise ApiError(401, "Bad bearer token provided.")
    if record["expires_at"] <= time.time():
        raise ApiError(401, "Bearer token expired.")
    return record["scope"]


def check_scope(scope: str, method: str) -> None:
    needed = "adsread" if method == "GET" else "adsedit"
    granted = set(scope.split())
    if needed not in granted and not (needed == "adsread" and "adsedit" in granted):
        raise ApiError(403, f"The token lacks the '{needed}' scope.")


# --- serialization -----------------------------------------------------------------------


def _copy(value: Any) -> Any:
    # copy.deepcopy for the JSON values entities hold, without its memo and dispatch overhead.
    if isinstance(value, dict):
        return {k: _copy(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_copy(v) for v in value]
    if value is None or isinstance(value, str | int | float):
        return value
    return copy.deepcopy(value)


def public(sb: RedditSandbox, kind: str, entity: Entity) -> Entity:
    out = {k: _copy(v) for k, v in entity.items() if not k.startswith("_")}
    if kind in CREATE_KINDS - {"posts"}:
        out["effective_status"] = effective_status(sb, kind, entity)
    return out


def effective_status(sb: RedditSandbox, kind: str, entity: Entity) -> str:
    # Reddit recomputes effective_status asynchronously; emulate the lag after each change.
    if time.time() - entity["_status_changed_at"] < sb.timing.effective_status_delay:
        return entity["_previous_effective_status"]
    return _derived_status(sb, kind, entity)


def _derived_status(sb: RedditSandbox, kind: str, entity: Entity) -> str:
    status = entity["configured_status"]
    if entity.get("rejection_reason"):
        return "REJECTED"
    if status != "ACTIVE":
        return status
    data = sb.state.data
    if kind == "ads":
        group = data["ad_groups"].get(entity["ad_group_id"], {})
        if group.get("configured_status") == "PAUSED":
            return "AD_GROUP_PAUSED"
    campaign = data["campaigns"].get(entity.get("campaign_id", ""), {})
    if kind != "campaigns" and campaign.get("configured_status") == "PAUSED":
        return "CAMPAIGN_PAUSED"
    return "ACTIVE"


def mark_status_change(entity: Entity, previous: str) -> None:
    entity["_previous_effective_status"] = previous
    entity["_status_changed_at"] = time.time()


# --- account context ---------------------------------------------------------------------


def account_or_404(data: Entity, account_id: str) -> Entity:
    account = data["ad_accounts"].get(account_id)
    if account is None:
        raise ApiError(404, f"Ad account {account_id} not found.")
    return account


def _owned(items: dict[str, Entity], account_id: str) -> dict[str, Entity]:
    return {k: v for k, v in items.items() if v.get("_ad_account_id") == account_id}


class _Scoped(Mapping[str, Entity]):
    """A live, read-only view of the entities of `items` that `keep` accepts.

    Lookups test only the entity asked for, so validating one create or patch no longer
    copies every campaign, ad group and post of the account.
    """

    def __init__(self, items: dict[str, Entity], keep: Callable[[Entity], bool]) -> None:
        self._items, self._keep = items, keep

    def __getitem__(self, key: str) -> Entity:
        entity = self._items[key]
        if not self._keep(entity):
            raise KeyError(key)
        return entity

    def __iter__(self) -> Iterator[str]:
        return (k for k, v in self._items.items() if self._keep(v))

    def __len__(self) -> int:
        return sum(1 for v in self._items.values() if self._keep(v))


def account_context(data: Entity, account_id: str) -> Entity:
    profiles = _owned(data["profiles"], account_id)
    return {
        "pixel_ids": set(_owned(data["pixels"], account_id)),
        "funding": _owned(data["funding_instruments"], account_id),
        "campaigns": _Scoped(data["campaigns"], lambda v: v["ad_account_id"] == account_id),
        "ad_groups": _Scoped(data["ad_groups"], lambda v: v["ad_account_id"] == account_id),
        "posts": _Scoped(data["posts"], lambda v: v["profile_id"] in profiles),
    }


# --- pagination --------------------------------------------------------------------------


def _encode_token(offset: int) -> str:
    return base64.urlsafe_b64encode(f"sandbox:{offset}".encode()).decode().rstrip("=")


def _decode_token(token: str) -> int:
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
        prefix, _, offset = raw.partition(":")
        if prefix != "sandbox" or not offset.isdigit():
            raise ValueError(raw)
        return int(offset)
    except ValueError as exc:
        raise invalid([{"field": "page.token", "message": "Invalid page token."}]) from exc


def _page_size(req: ApiRequest, maximum: int) -> int:
    raw = req.query_value("page.size")
    if raw is None:
        return min(DEFAULT_PAGE_SIZE, maximum)
    if not raw.isdigit() or not 1 <= int(raw) <= maximum:
        message = f"page.size must be an integer between 1 and {maximum}."
        raise invalid([{"field": "page.size", "message": message}])
    return int(raw)


def _page_url(req: ApiRequest, offset: int) -> str:
    # Rebuilt from the caller's own parameters so the URL never grows page after page.
    query = [(k, v) for k, v in req.query if k != "page.token"]
    query.append(("page.token", _encode_token(offset)))
    return f"{req.url_base}?{urlencode(query)}"


def paginate(req: ApiRequest, items: list[Entity], maximum: int = 1000) -> Result:
    size = _page_size(req, maximum)
    token = req.query_value("page.token")
    offset = _decode_token(token) if token else 0
    page = items[offset : offset + size]
    has_next = offset + size < len(items)
    pagination = {
        "next_url": _page_url(req, offset + size) if has_next else None,
        "previous_url": _page_url(req, max(offset - size, 0)) if offset > 0 else None,
    }
    return 200, {"data": page, "pagination": pagination}


# --- read handlers -----------------------------------------------------------------------

Handler = Callable[["RedditSandbox", ApiRequest], Result]


def get_me(sb: RedditSandbox, req: ApiRequest) -> Result:
    with sb.state.reading() as data:
        return 200, {"data": copy.deepcopy(data["me"])}


def list_my_businesses(sb: RedditSandbox, req: ApiRequest) -> Result:
    account_id = req.query_value("ad_account_id")
    with sb.state.reading() as data:
        wanted = {data["ad_accounts"][account_id]["business_id"]} if account_id else None
        if account_id and account_id not in data["ad_accounts"]:
            wanted = set()
        items = [copy.deepcopy(b) for b in data["businesses"].values()]
    return paginate(req, [b for b in items if wanted is None or b["id"] in wanted])


def list_business_ad_accounts(sb: RedditSandbox, req: ApiRequest) -> Result:
    """GET /businesses/{business_id}/ad_accounts: the business's own ad accounts (not those
    shared with it), optionally filtered by `ids` (comma-separated), paged like every list."""
    business_id = req.params["business_id"]
    wanted = set(req.query_values("ids"))
    with sb.state.reading() as data:
        if business_id not in data["businesses"]:
            raise ApiError(404, f"Business {business_id} not found.")
        items = [
            copy.deepcopy(account)
            for account in data["ad_accounts"].values()
            if account.get("business_id") == business_id and (not wanted or account["id"] in wanted)
        ]
    return paginate(req, items)


def get_ad_account(sb: RedditSandbox, req: ApiRequest) -> Result:
    with sb.state.reading() as data:
        return 200, {"data": copy.deepcopy(account_or_404(data, req.params["ad_account_id"]))}


def _list_account_owned(kind: str) -> Handler:
    def handler(sb: RedditSandbox, req: ApiRequest) -> Result:
        account_id = req.params["ad_account_id"]
        with sb.state.reading() as data:
            account_or_404(data, account_id)
            items = [public(sb, kind, v) for v in _owned(data[kind], account_id).values()]
        return paginate(req, items)

    return handler


list_funding_instruments = _list_account_owned("funding_instruments")
list_profiles = _list_account_owned("profiles")
list_pixels = _list_account_owned("pixels")

# Query filters each list operation documents, mapped to the entity field they match.
LIST_FILTERS = {
    "campaigns": {"id": "id"},
    "ad_groups": {"id": "id", "campaign_id": "campaign_id"},
    "ads": {
        "id": "id",
        "ad_group_id": "ad_group_id",
        "campaign_id": "campaign_id",
        "configured_status": "configured_status",
        "effective_status": "effective_status",
    },
}


def list_entities(kind: str) -> Handler:
    def handler(sb: RedditSandbox, req: ApiRequest) -> Result:
        account_id = req.params["ad_account_id"]
        filters = {
            attr: set(req.query_values(name))
            for name, attr in LIST_FILTERS[kind].items()
            if req.query_values(name)
        }
        with sb.state.reading() as data:
            account_or_404(data, account_id)
            items = [
                public(sb, kind, e) for e in data[kind].values() if e["ad_account_id"] == account_id
            ]
        kept = [e for e in items if all(e.get(a) in wanted for a, wanted in filters.items())]
        return paginate(req, kept)

    return handler


def get_entity(kind: str, param: str) -> Handler:
    def handler(sb: RedditSandbox, req: ApiRequest) -> Result:
        with sb.state.reading() as data:
            entity = _entity_or_404(data, kind, req.params[param])
            return 200, {"data": public(sb, kind, entity)}

    return handler


def _entity_or_404(data: Entity, kind: str, entity_id: str) -> Entity:
    entity = data[kind].get(entity_id)
    if entity is None:
        raise ApiError(404, f"{kind[:-1].replace('_', ' ').capitalize()} {entity_id} not found.")
    return entity


def get_profile(sb: RedditSandbox, req: ApiRequest) -> Result:
    with sb.state.reading() as data:
        profile = _entity_or_404(data, "profiles", req.params["profile_id"])
        return 200, {"data": public(sb, "profiles", profile)}


def list_posts(sb: RedditSandbox, req: ApiRequest) -> Result:
    post_type = req.query_value("type")
    with sb.state.reading() as data:
        profile_id = _entity_or_404(data, "profiles", req.params["profile_id"])["id"]
        items = [
            public(sb, "posts", p)
            for p in data["posts"].values()
            if p["profile_id"] == profile_id and post_type in (None, p["type"])
        ]
    return paginate(req, items, maximum=100)


# --- write handlers ----------------------------------------------------------------------


def _body_data(req: ApiRequest) -> Entity:
    schema = reddit_spec.request_schema(req.path_template, req.method)
    fields = rules.schema_errors(schema, req.body)
    if fields:
        raise invalid(fields)
    if not isinstance(req.body, dict) or not isinstance(req.body.get("data"), dict):
        raise invalid([{"field": "data", "message": 'The body must be {"data": {...}}.'}])
    return {k: v for k, v in req.body["data"].items() if k not in rules.READ_ONLY}


def _reject_by_name(sb: RedditSandbox, data: Entity) -> None:
    for field_name in ("name", "headline"):
        value = data.get(field_name)
        if isinstance(value, str) and sb.faults.name_rejected(value):
            raise invalid([rules.err(field_name, "Rejected by Reddit's ad policy review.")])


def _new_entity(sb: RedditSandbox, kind: str, fields: Entity, account_id: str) -> Entity:
    stamp = now_iso()
    entity = {"id": sb.state.new_numeric_id(), "ad_account_id": account_id}
    entity.update(fields)
    entity.update({"created_at": stamp, "modified_at": stamp})
    entity["_previous_effective_status"] = "PROCESSING"
    entity["_status_changed_at"] = time.time()
    return entity


KIND_RULES: dict[str, Callable[[Entity, Entity, bool], list[dict[str, str]]]] = {
    "campaigns": rules.campaign_errors,
    "ad_groups": rules.ad_group_errors,
    "ads": rules.ad_errors,
}
DEFAULTS: dict[str, Entity] = {
    "campaigns": {
        "funding_instrument_id": None,
        "goal_type": None,
        "goal_value": None,
        "is_campaign_budget_optimization": False,
        "special_ad_categories": ["NONE"],
        "spend_cap": None,
        "start_time": None,
        "end_time": None,
        "bid_strategy": None,
        "bid_type": None,
        "bid_value": None,
        "optimization_goal": None,
        "conversion_pixel_id": None,
        "is_max": False,
    },
    "ad_groups": {
        "bid_strategy": None,
        "bid_type": None,
        "bid_value": None,
        "goal_type": None,
        "goal_value": None,
        "optimization_goal": None,
        "start_time": None,
        "end_time": None,
        "targeting": None,
        "conversion_pixel_id": None,
    },
    "ads": {
        "type": "UNSPECIFIED",
        "click_url": None,
        "click_url_query_parameters": None,
        "post_id": None,
        "rejection_reason": None,
    },
}


def create_entity(kind: str) -> Handler:
    def handler(sb: RedditSandbox, req: ApiRequest) -> Result:
        fields = _body_data(req)
        account_id = req.params["ad_account_id"]
        with sb.state.writing() as data:
            account_or_404(data, account_id)
            context = account_context(data, account_id)
            entity = {**DEFAULTS[kind], **fields}
            errors = KIND_RULES[kind](entity, context, True)
            if errors:
                raise invalid(errors)
            _reject_by_name(sb, entity)
            entity = _new_entity(sb, kind, entity, account_id)
            _denormalize(kind, entity, context)
            data[kind][entity["id"]] = entity
            return 201, {"data": public(sb, kind, entity)}

    return handler


def _denormalize(kind: str, entity: Entity, context: Entity) -> None:
    if kind == "ad_groups":
        campaign = context["campaigns"][entity["campaign_id"]]
        entity["campaign_objective_type"] = campaign["objective"]
        entity["is_campaign_budget_optimization"] = campaign["is_campaign_budget_optimization"]
    if kind == "ads":
        group = context["ad_groups"][entity["ad_group_id"]]
        entity["campaign_id"] = group["campaign_id"]
        entity["campaign_objective_type"] = group["campaign_objective_type"]
        entity["post_url"] = f"https://www.reddit.com/comments/{entity['post_id'][3:]}"
        entity["profile_id"] = context["posts"][entity["post_id"]]["profile_id"]


def update_entity(kind: str, param: str) -> Handler:
    def handler(sb: RedditSandbox, req: ApiRequest) -> Result:
        patch = _body_data(req)
        with sb.state.writing() as data:
            current = _entity_or_404(data, kind, req.params[param])
            known = set(DEFAULTS[kind]) | {"name", "configured_status"} | set(current)
            errors = rules.unknown_field_errors(patch, known)
            errors += rules.immutable_errors(kind, current, patch)
            merged = {**current, **patch}
            context = account_context(data, current["ad_account_id"])
            errors += KIND_RULES[kind](merged, context, False)
            if errors:
                raise invalid(errors)
            apply_patch(sb, kind, current, patch)
            return 200, {"data": public(sb, kind, current)}

    return handler


def apply_patch(sb: RedditSandbox, kind: str, entity: Entity, patch: Entity) -> None:
    """Applies a change and keeps the bookkeeping (timestamps, status lag) right."""
    if "configured_status" in patch and patch["configured_status"] != entity["configured_status"]:
        mark_status_change(entity, effective_status(sb, kind, entity))
    entity.update(patch)
    entity["modified_at"] = now_iso()


# --- posts -------------------------------------------------------------------------------


def create_post(sb: RedditSandbox, req: ApiRequest) -> Result:
    fields = _body_data(req)
    with sb.state.writing() as data:
        profile = _entity_or_404(data, "profiles", req.params["profile_id"])
        post = {"allow_comments": True, "body": None, "content": [], "is_richtext": False, **fields}
        errors = rules.post_errors(post)
        if errors:
            raise invalid(errors)
        _reject_by_name(sb, post)
        post_id = sb.state.new_post_id()
        post.update(
            {
                "id": post_id,
                "profile_id": profile["id"],
                "post_url": f"https://www.reddit.com/comments/{post_id[3:]}",
                "created_at": now_iso(),
                "thumbnail_url": post.get("thumbnail_url"),
            }
        )
        data["posts"][post_id] = post
        return 201, {"data": public(sb, "posts", post)}


def update_post(sb: RedditSandbox, req: ApiRequest) -> Result:
    patch = _body_data(req)
    with sb.state.writing() as data:
        post = _entity_or_404(data, "posts", req.params["post_id"])
        errors = rules.immutable_errors("posts", post, patch)
        errors += rules.unknown_field_errors(patch, set(post))
        if not isinstance(patch.get("allow_comments"), bool):
            errors.append(rules.err("allow_comments", "This field is required (boolean)."))
        if errors:
            raise invalid(errors)
        post["allow_comments"] = patch["allow_comments"]
        return 200, {"data": public(sb, "posts", post)}

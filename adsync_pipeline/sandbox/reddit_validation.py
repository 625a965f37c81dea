"""Request validation for the Reddit sandbox: the spec's schemas plus Reddit's business rules.

Every check returns field errors shaped like Reddit's: {"field": "data/<path>", "message": ...}.
Business rules run on the merged entity (existing values + patch) so that a PATCH cannot
sneak an entity into a state a create would have refused.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from urllib.parse import urlparse

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError, best_match

FieldError = dict[str, str]
Entity = dict[str, Any]

STATUSES = {"ACTIVE", "ARCHIVED", "DELETED", "PAUSED"}
OBJECTIVES = {
    "APP_INSTALLS",
    "CATALOG_SALES",
    "CLICKS",
    "CONVERSIONS",
    "IMPRESSIONS",
    "LEAD_GENERATION",
    "VIDEO_VIEWABLE_IMPRESSIONS",
}
GOAL_TYPES = {"DAILY_SPEND", "LIFETIME_SPEND"}
CAMPAIGN_BID_STRATEGIES = {"BIDLESS", "MAXIMIZE_VOLUME", "TARGET_CPX"}
AD_GROUP_BID_STRATEGIES = CAMPAIGN_BID_STRATEGIES | {"MANUAL_BIDDING"}
BID_TYPES = {"CPC", "CPM", "CPV", "CPV6"}
POST_TYPES = {"CAROUSEL", "IMAGE", "TEXT", "VIDEO"}
CALLS_TO_ACTION = {
    "Apply Now",
    "Contact Us",
    "Download",
    "Get a Quote",
    "Get Showtimes",
    "Install",
    "Learn More",
    "Order Now",
    "Play Now",
    "Pre-order Now",
    "See Menu",
    "Shop Now",
    "Sign Up",
    "View More",
    "Watch Now",
    "Book Now",
    "Buy Tickets",
    "Get Directions",
    "Listen Now",
    "Read More",
    "Subscribe",
    "Visit Store",
    "Donate Now",
    "Remind Me",
}
CPM_MIN_MICROS = 3_500_000
CPM_MAX_MICROS = 100_000_000
HEADLINE_MAX = 300

# Fields the server owns: accepted in a body (the spec's schemas list them) but never stored.
READ_ONLY = {
    "id",
    "ad_account_id",
    "created_at",
    "modified_at",
    "effective_status",
    "delivery_status",
    "campaign_objective_type",
    "rejection_reason",
    "preview_url",
    "post_url",
    "profile_id",
    "is_max",
}
IMMUTABLE = {
    "campaigns": {"objective", "is_campaign_budget_optimization", "goal_type"},
    "ad_groups": {"campaign_id"},
    # Update Ad documents only ad_group_id as unchangeable: post_id is how new copy ships.
    "ads": {"ad_group_id"},
    "posts": {"type", "headline", "body", "content", "thumbnail_url", "is_richtext"},
}


def err(field: str, message: str) -> FieldError:
    return {"field": f"data/{field}" if field else "data", "message": message}


# --- schema ------------------------------------------------------------------------------


def schema_errors(schema: dict[str, Any] | None, body: Any) -> list[FieldError]:
    if schema is None:
        return []
    validator = _validator(schema)
    found = [_field_error(e) for e in sorted(validator.iter_errors(body), key=_error_order)]
    # Nested allOf/oneOf in the spec report the same problem more than once.
    return [dict(pair) for pair in dict.fromkeys(tuple(e.items()) for e in found)]


# One validator per schema, built on first use. Schemas come from the cached spec, so their
# identity is stable; the schema is kept alongside so that its id cannot be reused.
_VALIDATORS: dict[int, tuple[dict[str, Any], Draft202012Validator]] = {}


def _validator(schema: dict[str, Any]) -> Draft202012Validator:
    cached = _VALIDATORS.get(id(schema))
    if cached is None or cached[0] is not schema:
        cached = (schema, Draft202012Validator(schema))
        _VALIDATORS[id(schema)] = cached
    return cached[1]


def _error_order(error: ValidationError) -> str:
    return "/".join(str(p) for p in error.absolute_path)


def _field_error(error: ValidationError) -> FieldError:
    # oneOf/anyOf wrap the useful error; surface the most specific one.
    if error.context:
        error = best_match(error.context) or error
    path = [str(p) for p in error.absolute_path]
    if error.validator == "required" and isinstance(error.instance, dict):
        missing = [p for p in error.validator_value if p not in error.instance]
        path.append(missing[0] if missing else "")
        return {"field": "/".join(p for p in path if p), "message": "This field is required."}
    if error.validator == "additionalProperties" and isinstance(error.instance, dict):
        allowed = set(error.schema.get("properties", {}))
        extra = sorted(set(error.instance) - allowed)
        path.append(extra[0] if extra else "")
        return {"field": "/".join(p for p in path if p), "message": "Unknown field."}
    return {"field": "/".join(path) or "data", "message": error.message}


# --- shared rules ------------------------------------------------------------------------


def _parse_time(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None


def _common(entity: Entity) -> list[FieldError]:
    errors: list[FieldError] = []
    name = entity.get("name")
    if not isinstance(name, str) or not 3 <= len(name) <= 500:
        errors.append(err("name", "The name must be between 3 and 500 characters."))
    if entity.get("configured_status") not in STATUSES:
        errors.append(err("configured_status", f"Must be one of {sorted(STATUSES)}."))
    for field in ("start_time", "end_time"):
        if entity.get(field) is not None and _parse_time(entity[field]) is None:
            errors.append(err(field, "Must be an ISO 8601 date-time."))
    start, end = _parse_time(entity.get("start_time")), _parse_time(entity.get("end_time"))
    if start and end and _comparable(start, end) and end <= start:
        errors.append(err("end_time", "end_time must be after start_time."))
    return errors


def _comparable(a: datetime, b: datetime) -> bool:
    return (a.tzinfo is None) == (b.tzinfo is None)


def _budget(entity: Entity, strategies: set[str]) -> list[FieldError]:
    errors: list[FieldError] = []
    goal_type = entity.get("goal_type")
    if goal_type is not None and goal_type not in GOAL_TYPES:
        errors.append(err("goal_type", f"Must be one of {sorted(GOAL_TYPES)}."))
    if goal_type == "LIFETIME_SPEND" and not entity.get("end_time"):
        errors.append(err("end_time", "end_time is required with LIFETIME_SPEND."))
    for field in ("goal_value", "spend_cap", "bid_value"):
        value = entity.get(field)
        if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
            errors.append(err(field, "Must be an integer amount in micros."))
        elif value is not None and value <= 0:
            errors.append(err(field, "Must be a positive amount in micros."))
    strategy, bid_type = entity.get("bid_strategy"), entity.get("bid_type")
    if strategy is not None and strategy not in strategies:
        errors.append(err("bid_strategy", f"Must be one of {sorted(strategies)}."))
    if bid_type is not None and bid_type not in BID_TYPES:
        errors.append(err("bid_type", f"Must be one of {sorted(BID_TYPES)}."))
    bid = entity.get("bid_value")
    if bid_type == "CPM" and isinstance(bid, int) and not CPM_MIN_MICROS <= bid <= CPM_MAX_MICROS:
        errors.append(err("bid_value", "CPM bids must be between $3.50 and $100.00 (in micros)."))
    if strategy in {"MANUAL_BIDDING", "TARGET_CPX"} and bid is None:
        errors.append(err("bid_value", f"bid_value is required with {strategy}."))
    return errors


def _pixel(entity: Entity, account: Entity, required: bool) -> list[FieldError]:
    pixel = entity.get("conversion_pixel_id")
    if pixel is None:
        return [err("conversion_pixel_id", "This field is required.")] if required else []
    if pixel not in account["pixel_ids"]:
        return [err("conversion_pixel_id", "Pixel not found for this ad account.")]
    return []


# --- per kind ----------------------------------------------------------------------------
# `account` carries the ad account's context: pixel_ids, funding (id -> instrument),
# campaigns / ad_groups / posts (id -> entity, already scoped to the account). `creating`
# is False for a PATCH, whose merged entity is checked with the same rules.


def campaign_errors(entity: Entity, account: Entity, creating: bool) -> list[FieldError]:
    errors = _common(entity) + _budget(entity, CAMPAIGN_BID_STRATEGIES)
    if entity.get("objective") not in OBJECTIVES:
        errors.append(err("objective", f"Must be one of {sorted(OBJECTIVES)}."))
    funding_id = entity.get("funding_instrument_id")
    if funding_id is not None:
        instrument = account["funding"].get(funding_id)
        if instrument is None:
            errors.append(err("funding_instrument_id", "Funding instrument not found."))
        elif not instrument["is_servable"]:
            reasons = ", ".join(instrument["reasons_not_servable"])
            message = f"Funding instrument not servable: {reasons}."
            errors.append(err("funding_instrument_id", message))
    cbo = bool(entity.get("is_campaign_budget_optimization"))
    if cbo:
        for field in ("start_time", "bid_strategy", "bid_type", "goal_type", "goal_value"):
            if entity.get(field) is None:
                errors.append(err(field, f"{field} is required for campaign budget optimization."))
    elif entity.get("goal_value") is not None:
        errors.append(err("goal_value", "goal_value needs is_campaign_budget_optimization."))
    return errors + _pixel(entity, account, required=cbo)


def ad_group_errors(entity: Entity, account: Entity, creating: bool) -> list[FieldError]:
    errors = _common(entity) + _budget(entity, AD_GROUP_BID_STRATEGIES)
    campaign = account["campaigns"].get(entity.get("campaign_id"))
    if campaign is None:
        return errors + [err("campaign_id", "Campaign not found in this ad account.")]
    # Children of a deleted parent may still be changed (to delete them too), not created.
    if creating and campaign["configured_status"] == "DELETED":
        errors.append(err("campaign_id", "The campaign is deleted."))
    if campaign.get("objective") == "CONVERSIONS" and not entity.get("optimization_goal"):
        errors.append(err("optimization_goal", "optimization_goal is required for CONVERSIONS."))
    if campaign.get("is_campaign_budget_optimization"):
        for field in ("goal_type", "goal_value"):
            if entity.get(field) is not None:
                errors.append(err(field, "The budget is set on the CBO campaign."))
    else:
        for field in ("goal_type", "goal_value"):
            if entity.get(field) is None:
                errors.append(err(field, f"{field} is required without campaign budget opt."))
    keywords = (entity.get("targeting") or {}).get("keywords") or []
    if len(keywords) > 1000:
        errors.append(err("targeting/keywords", "At most 1000 keywords."))
    return errors + _pixel(entity, account, required=True)


def ad_errors(entity: Entity, account: Entity, creating: bool) -> list[FieldError]:
    errors = _common(entity)
    group = account["ad_groups"].get(entity.get("ad_group_id"))
    if group is None:
        errors.append(err("ad_group_id", "Ad group not found in this ad account."))
    elif creating and group["configured_status"] == "DELETED":
        errors.append(err("ad_group_id", "The ad group is deleted."))
    post_id = entity.get("post_id")
    if not post_id:
        errors.append(err("post_id", "This field is required."))
    elif post_id not in account["posts"]:
        errors.append(err("post_id", "Post not found for this ad account's profiles."))
    click_url = entity.get("click_url")
    if click_url is not None and not _is_http_url(click_url):
        errors.append(err("click_url", "Must be an http(s) URL."))
    return errors


def post_errors(entity: Entity) -> list[FieldError]:
    errors: list[FieldError] = []
    if entity.get("type") not in POST_TYPES:
        errors.append(err("type", f"Must be one of {sorted(POST_TYPES)}."))
    headline = entity.get("headline")
    if not isinstance(headline, str) or not 1 <= len(headline.strip()) <= HEADLINE_MAX:
        errors.append(err("headline", f"The headline must be 1 to {HEADLINE_MAX} characters."))
    content = entity.get("content") or []
    if entity.get("type") != "TEXT" and not content:
        errors.append(err("content", "Content is required for this post type."))
    if entity.get("type") == "CAROUSEL" and not 2 <= len(content) <= 6:
        errors.append(err("content", "A carousel needs 2 to 6 items."))
    for index, item in enumerate(content):
        errors += _content_errors(f"content/{index}", item)
    return errors


def _content_errors(prefix: str, item: Entity) -> list[FieldError]:
    errors: list[FieldError] = []
    destination, display = item.get("destination_url"), item.get("display_url")
    if destination is not None and not _is_http_url(destination):
        errors.append(err(f"{prefix}/destination_url", "Must be an http(s) URL."))
    elif display and destination and not _same_domain(display, destination):
        errors.append(
            err(f"{prefix}/display_url", "display_url must be on the destination_url's domain.")
        )
    cta = item.get("call_to_action")
    if cta is not None and cta not in CALLS_TO_ACTION:
        errors.append(err(f"{prefix}/call_to_action", "Not one of Reddit's calls to action."))
    return errors


def _is_http_url(value: Any) -> bool:
    if not isinstance(value, str):
        return False
    parsed = urlparse(value)
    return parsed.scheme in {"http", "https"} and bool(parsed.hostname)


def _host(url: str) -> str:
    # display_url is usually written bare ("example.com/sale"), so give it a scheme to parse.
    parsed = urlparse(url if "://" in url else f"https://{url}")
    host = (parsed.hostname or "").lower()
    return host.removeprefix("www.")


def _same_domain(display: str, destination: str) -> bool:
    shown, target = _host(display), _host(destination)
    return bool(shown) and (shown == target or target.endswith("." + shown))


def immutable_errors(kind: str, current: Entity, patch: Entity) -> list[FieldError]:
    return [
        err(field, "This field cannot be changed.")
        for field in sorted(IMMUTABLE[kind] & set(patch))
        if patch[field] != current.get(field)
    ]


def unknown_field_errors(patch: Entity, known: set[str]) -> list[FieldError]:
    return [err(field, "Unknown field.") for field in sorted(set(patch) - known - READ_ONLY)]

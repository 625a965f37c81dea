"""What the Reddit sandbox reads from Reddit's official OpenAPI document.

The document is optional at run time: without it the sandbox still routes, rate-limits and
applies its own business rules, it only skips the schema validation of request bodies.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

API_PREFIX = "/api/v3"
OPENAPI_ENV = "ADSYNC_REDDIT_OPENAPI"
# The package lives at <repo>/adsync_pipeline/sandbox; the reference folder sits beside <repo>.
DEFAULT_OPENAPI_PATH = (
    Path(__file__).resolve().parent.parent.parent.parent
    / "shared"
    / "reference"
    / "reddit-ads-v3.openapi.json"
)

# Reddit's policy slugs and quotas (per 60 s), as listed in the spec; used when the spec is absent.
DEFAULT_POLICIES: dict[str, int] = {
    "ads-business-manager": 100,
    "ads-campaign-management-read": 400,
    "ads-campaign-management-write": 200,
    "ads-funding-instruments": 30,
    "ads-conversion-signals": 30,
    "ads-creative-management": 200,
    "ads-reporting": 60,
}
DEFAULT_WINDOW_SECONDS = 60


@dataclass(frozen=True)
class Policy:
    name: str
    quota: int
    window: float


def spec_path() -> Path:
    return Path(_spec_path_str())


def _spec_path_str() -> str:
    # Read on every call (tests point the env var elsewhere), but without building a Path.
    return os.environ.get(OPENAPI_ENV) or _DEFAULT_OPENAPI_STR


_DEFAULT_OPENAPI_STR = str(DEFAULT_OPENAPI_PATH)


@lru_cache(maxsize=4)
def load_spec(path: str) -> dict[str, Any] | None:
    file = Path(path)
    if not file.is_file():
        return None
    return json.loads(file.read_text(encoding="utf-8"))


def current_spec() -> dict[str, Any] | None:
    return load_spec(_spec_path_str())


def request_schema(spec_path_template: str, method: str) -> dict[str, Any] | None:
    """The JSON schema of one operation's request body, or None without a spec."""
    return _request_schema(_spec_path_str(), spec_path_template, method)


@lru_cache(maxsize=256)
def _request_schema(path: str, spec_path_template: str, method: str) -> dict[str, Any] | None:
    spec = load_spec(path)
    if spec is None:
        return None
    operation = spec["paths"].get(spec_path_template, {}).get(method.lower())
    if not operation or "requestBody" not in operation:
        return None
    return operation["requestBody"]["content"]["application/json"]["schema"]


_SLUG = re.compile(r"Policy Slug:.*?>\s*([\w-]+)\s*</span>", re.S)
_WINDOW = re.compile(r"Window:\s*(\d+)\s*seconds")
_QUOTA = re.compile(r"Quota:\s*(\d+)\s*requests")


def spec_policy(spec_path_template: str, method: str) -> Policy | None:
    """The rate-limit policy the spec documents (in HTML prose) for one operation."""
    return _spec_policy(_spec_path_str(), spec_path_template, method)


# Memoized per spec file and operation: the regexes over the prose ran on every request.
@lru_cache(maxsize=256)
def _spec_policy(path: str, spec_path_template: str, method: str) -> Policy | None:
    spec = load_spec(path)
    if spec is None:
        return None
    operation = spec["paths"].get(spec_path_template, {}).get(method.lower()) or {}
    description = operation.get("description", "")
    slug, window, quota = (rx.search(description) for rx in (_SLUG, _WINDOW, _QUOTA))
    if not (slug and window and quota):
        return None
    return Policy(slug.group(1), int(quota.group(1)), float(window.group(1)))


def policy_for(spec_path_template: str, method: str, fallback: str) -> Policy:
    found = spec_policy(spec_path_template, method)
    if found is not None:
        return found
    return Policy(fallback, DEFAULT_POLICIES[fallback], DEFAULT_WINDOW_SECONDS)

"""Configuration in one place (see README, "Configuration"): the environment first, then
the local configuration `adsync demo` wrote (`local_config.py`), then the defaults."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from adsync_pipeline import __version__
from adsync_pipeline.errors import AdsyncError
from adsync_pipeline.local_config import existing_home, find_home, read_local_config

DEFAULT_REDDIT_API_URL = "https://ads-api.reddit.com/api/v3"
DEFAULT_REDDIT_AUTH_URL = "https://www.reddit.com"
# Written by the demo beside the sandbox URLs: the port of the sandbox adsync runs itself.
REDDIT_SANDBOX_PORT = "ADSYNC_REDDIT_SANDBOX_PORT"


class ConfigError(AdsyncError):
    """A setting is missing or malformed; the message says which and how to fix it."""


def dagster_home() -> Path:
    """Dagster's instance directory, which also holds the default store and local settings."""
    return find_home().path


def local_settings() -> dict[str, str]:
    return read_local_config(find_home().path)


def setting(name: str, default: str = "", local: dict[str, str] | None = None) -> str:
    """`name` from the environment, else from the local configuration (`local` when the
    caller read it already), else `default`."""
    if local is None:
        local = local_settings()
    return os.environ.get(name) or local.get(name) or default


def database_url() -> str:
    url = setting("ADSYNC_DATABASE_URL")
    if url:
        return url
    return f"sqlite:///{existing_home() / 'adsync.db'}"


@dataclass(frozen=True)
class RedditSettings:
    api_url: str
    auth_url: str
    client_id: str
    client_secret: str
    user_agent: str


def reddit_settings() -> RedditSettings:
    local = local_settings()  # one read of adsync.env for all five settings
    settings = RedditSettings(
        api_url=setting("ADSYNC_REDDIT_API_URL", DEFAULT_REDDIT_API_URL, local).rstrip("/"),
        auth_url=setting("ADSYNC_REDDIT_AUTH_URL", DEFAULT_REDDIT_AUTH_URL, local).rstrip("/"),
        client_id=setting("ADSYNC_REDDIT_CLIENT_ID", "", local),
        client_secret=setting("ADSYNC_REDDIT_CLIENT_SECRET", "", local),
        user_agent=setting("ADSYNC_USER_AGENT", f"python:adsync:{__version__}", local),
    )
    port = local.get(REDDIT_SANDBOX_PORT)
    if port and not os.environ.get("ADSYNC_REDDIT_API_URL") and local.get("ADSYNC_REDDIT_API_URL"):
        # The demo's sandbox: whichever process needs Reddit first starts it again.
        from adsync_pipeline.local_sandbox import ensure_running

        ensure_running(find_home().path, int(port))
    return settings

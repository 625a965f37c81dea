"""Configuration from the environment, in one place (see README, "Configuration")."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from adsync_pipeline import __version__
from adsync_pipeline.errors import AdsyncError

DEFAULT_REDDIT_API_URL = "https://ads-api.reddit.com/api/v3"
DEFAULT_REDDIT_AUTH_URL = "https://www.reddit.com"


class ConfigError(AdsyncError):
    """A setting is missing or malformed; the message says which and how to fix it."""


def dagster_home() -> Path:
    return Path(os.environ.get("DAGSTER_HOME") or "dagster_home").resolve()


def database_url() -> str:
    url = os.environ.get("ADSYNC_DATABASE_URL")
    if url:
        return url
    return f"sqlite:///{dagster_home() / 'adsync.db'}"


@dataclass(frozen=True)
class RedditSettings:
    api_url: str
    auth_url: str
    client_id: str
    client_secret: str
    user_agent: str


def reddit_settings() -> RedditSettings:
    return RedditSettings(
        api_url=os.environ.get("ADSYNC_REDDIT_API_URL", DEFAULT_REDDIT_API_URL).rstrip("/"),
        auth_url=os.environ.get("ADSYNC_REDDIT_AUTH_URL", DEFAULT_REDDIT_AUTH_URL).rstrip("/"),
        client_id=os.environ.get("ADSYNC_REDDIT_CLIENT_ID", ""),
        client_secret=os.environ.get("ADSYNC_REDDIT_CLIENT_SECRET", ""),
        user_agent=os.environ.get("ADSYNC_USER_AGENT", f"python:adsync:{__version__}"),
    )

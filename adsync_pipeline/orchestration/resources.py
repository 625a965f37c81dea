"""Resources: where the campaign store and Reddit are, read from the environment.

An unset variable must not break loading the code location, so a field left empty falls
back to the defaults in `config.py` when the resource is used.
"""

from __future__ import annotations

import os

from dagster import ConfigurableResource, EnvVar
from pydantic import Field

from adsync_pipeline import config
from adsync_pipeline.store.db import Database


def env_or_default(name: str) -> str | EnvVar:
    """EnvVar when the variable is set (so the UI shows where the value comes from), else ""."""
    return EnvVar(name) if os.environ.get(name) else ""


class CampaignStoreResource(ConfigurableResource):
    database_url: str = Field(
        default="",
        description="SQLAlchemy URL of the adsync store; empty: ADSYNC_DATABASE_URL or the "
        "SQLite file under DAGSTER_HOME.",
    )

    def url(self) -> str:
        return self.database_url or config.database_url()

    def database(self) -> Database:
        return Database.from_url(self.url())


class RedditResource(ConfigurableResource):
    api_url: str = Field(default="", description="Reddit Ads API v3 base URL.")
    auth_url: str = Field(default="", description="Reddit OAuth base URL.")
    client_id: str = Field(default="", description="OAuth app client id.")
    client_secret: str = Field(default="", description="OAuth app client secret.")
    user_agent: str = Field(default="", description="User-Agent sent to Reddit.")

    def settings(self) -> config.RedditSettings:
        defaults = config.reddit_settings()
        return config.RedditSettings(
            api_url=(self.api_url or defaults.api_url).rstrip("/"),
            auth_url=(self.auth_url or defaults.auth_url).rstrip("/"),
            client_id=self.client_id or defaults.client_id,
            client_secret=self.client_secret or defaults.client_secret,
            user_agent=self.user_agent or defaults.user_agent,
        )


def default_resources() -> dict[str, ConfigurableResource]:
    return {
        "store": CampaignStoreResource(database_url=env_or_default("ADSYNC_DATABASE_URL")),
        "reddit": RedditResource(
            api_url=env_or_default("ADSYNC_REDDIT_API_URL"),
            auth_url=env_or_default("ADSYNC_REDDIT_AUTH_URL"),
            client_id=env_or_default("ADSYNC_REDDIT_CLIENT_ID"),
            client_secret=env_or_default("ADSYNC_REDDIT_CLIENT_SECRET"),
            user_agent=env_or_default("ADSYNC_USER_AGENT"),
        ),
    }

"""The pieces of `adsync demo` that are not Dagster: a key, the sandbox's settings, the
example set. Everything lives under DAGSTER_HOME, so a second demo finds the first one's
store, account, platform state (the sandbox's state file) and Dagster runs."""

from __future__ import annotations

import os
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from adsync_pipeline.imports import read_campaign_set
from adsync_pipeline.security.vault import KEY_ENV, generate_key
from adsync_pipeline.store.accounts import AccountRecord
from adsync_pipeline.store.campaign_sets import CampaignSetRepository
from adsync_pipeline.store.db import Database
from adsync_pipeline.sync.accounts import connect_with_refresh_token

SANDBOX_ACCOUNT = "t2_sandbox01"
SANDBOX_CLIENT_ID = "sandbox-client"
SANDBOX_CLIENT_SECRET = "sandbox-secret"
SANDBOX_REFRESH_TOKEN = "sandbox-refresh-token"
KEY_FILE = "encryption.key"
SANDBOX_STATE_FILE = "reddit-sandbox-state.json"


def prepare_home() -> Path:
    """DAGSTER_HOME, defaulting to ./dagster_home, created and exported for Dagster."""
    home = Path(os.environ.get("DAGSTER_HOME") or "dagster_home").resolve()
    home.mkdir(parents=True, exist_ok=True)
    os.environ["DAGSTER_HOME"] = str(home)
    return home


def ensure_encryption_key(home: Path) -> str:
    """Use ADSYNC_ENCRYPTION_KEY, or a key file under `home` (created 0600 on first use)."""
    if os.environ.get(KEY_ENV):
        return "ADSYNC_ENCRYPTION_KEY"
    path = home / KEY_FILE
    if not path.exists():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(generate_key() + "\n")
    os.environ[KEY_ENV] = path.read_text().strip()
    return str(path)


def use_sandbox(auth_url: str, api_url: str) -> None:
    """Point this process (and the in-process Dagster run) at the sandbox."""
    os.environ.update(
        {
            "ADSYNC_REDDIT_API_URL": api_url,
            "ADSYNC_REDDIT_AUTH_URL": auth_url,
            "ADSYNC_REDDIT_CLIENT_ID": SANDBOX_CLIENT_ID,
            "ADSYNC_REDDIT_CLIENT_SECRET": SANDBOX_CLIENT_SECRET,
        }
    )


@dataclass(frozen=True)
class ImportedExample:
    set_id: int
    created: bool
    changed: bool


def import_example(db: Database) -> ImportedExample:
    """Import (or re-import, a no-op when unchanged) the packaged summer-sale example."""
    example = resources.files("adsync_pipeline") / "examples" / "summer-sale.json"
    with resources.as_file(example) as path:
        result = CampaignSetRepository(db).import_set(read_campaign_set(path))
    return ImportedExample(result.campaign_set_id, result.created, result.changed)


def connect_sandbox_account(db: Database) -> AccountRecord:
    """Connect (or reconnect) the sandbox's seeded ad account with its seeded refresh token;
    `use_sandbox` must have pointed this process at the sandbox first."""
    return connect_with_refresh_token(db, "reddit", SANDBOX_ACCOUNT, SANDBOX_REFRESH_TOKEN)

"""The pieces of `adsync demo` that are not Dagster: the home, the local configuration
(key and sandbox settings), the example set. Everything lives under the home, so a second
demo, and every later command, find the first one's store, account, platform state (the
sandbox's state file) and Dagster runs."""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from adsync_pipeline.config import REDDIT_SANDBOX_PORT
from adsync_pipeline.imports import read_campaign_set
from adsync_pipeline.local_config import (
    find_home,
    read_local_config,
    record_home,
    write_local_config,
)
from adsync_pipeline.security.vault import KEY_ENV, generate_key
from adsync_pipeline.store.accounts import AccountRecord
from adsync_pipeline.store.campaign_sets import CampaignSetRepository
from adsync_pipeline.store.db import Database
from adsync_pipeline.sync.accounts import connect_with_refresh_token

SANDBOX_ACCOUNT = "t2_sandbox01"
SANDBOX_CLIENT_ID = "sandbox-client"
SANDBOX_CLIENT_SECRET = "sandbox-secret"
SANDBOX_REFRESH_TOKEN = "sandbox-refresh-token"
# Where demos before the local configuration kept their key; read once, then carried over.
LEGACY_KEY_FILE = "encryption.key"
WORKSPACE_FILE = "workspace.yaml"
_WORKSPACE = """# Written by `adsync demo`; `adsync dev` starts Dagster with it.
load_from:
  - python_module:
      module_name: adsync_pipeline.definitions
      attribute: defs
      location_name: adsync
"""


def prepare_home() -> Path:
    """The home (DAGSTER_HOME, ./dagster_home, or the one an earlier demo recorded; a new
    ./dagster_home otherwise), created, recorded for commands run elsewhere, and exported
    for Dagster."""
    home = find_home().path
    home.mkdir(parents=True, exist_ok=True)
    record_home(home)
    os.environ["DAGSTER_HOME"] = str(home)
    workspace = home / WORKSPACE_FILE
    if not workspace.exists():
        workspace.write_text(_WORKSPACE, encoding="utf-8")
    return home


@dataclass(frozen=True)
class LocalSetup:
    config_file: Path
    sandbox_port: int
    key_source: str


def write_local_setup(home: Path) -> LocalSetup:
    """Keep (or create) the home's local configuration: an encryption key and the settings
    of a Reddit sandbox on a loopback port of its own. Existing values are kept, so the
    tokens stored under the key stay readable and the sandbox keeps its port."""
    values = read_local_config(home)
    env_key = os.environ.get(KEY_ENV)
    key_source = "the local configuration"
    if not values.get(KEY_ENV):
        legacy = home / LEGACY_KEY_FILE
        # The environment's key, when set, is the one this demo stores tokens under.
        values[KEY_ENV] = env_key or (
            legacy.read_text().strip() if legacy.exists() else generate_key()
        )
    if env_key:
        key_source = f"{KEY_ENV} (the environment wins over the local configuration)"
    port = int(values.get(REDDIT_SANDBOX_PORT) or _free_port())
    values.update(
        {
            "ADSYNC_REDDIT_API_URL": f"http://127.0.0.1:{port}/api/v3",
            "ADSYNC_REDDIT_AUTH_URL": f"http://127.0.0.1:{port}",
            "ADSYNC_REDDIT_CLIENT_ID": SANDBOX_CLIENT_ID,
            "ADSYNC_REDDIT_CLIENT_SECRET": SANDBOX_CLIENT_SECRET,
            REDDIT_SANDBOX_PORT: str(port),
        }
    )
    path = write_local_config(home, values)
    (home / LEGACY_KEY_FILE).unlink(missing_ok=True)
    return LocalSetup(path, port, key_source)


def use_local_setup(home: Path) -> None:
    """Point this process (and its in-process Dagster run) at the local setup, even where
    the environment names another platform: the demo pushes to its sandbox only."""
    values = read_local_config(home)
    for name in (
        "ADSYNC_REDDIT_API_URL",
        "ADSYNC_REDDIT_AUTH_URL",
        "ADSYNC_REDDIT_CLIENT_ID",
        "ADSYNC_REDDIT_CLIENT_SECRET",
    ):
        os.environ.pop(name, None)
    if not os.environ.get(KEY_ENV):
        os.environ[KEY_ENV] = values[KEY_ENV]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


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
    `use_local_setup` must have pointed this process at the sandbox first."""
    return connect_with_refresh_token(db, "reddit", SANDBOX_ACCOUNT, SANDBOX_REFRESH_TOKEN)

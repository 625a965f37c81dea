"""The real `adsync` entry point run in-process, against a store of the test's own."""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from adsync_pipeline.cli import main
from adsync_pipeline.sandbox.reddit import RunningSandbox
from adsync_pipeline.sandbox.reddit_state import (
    AD_ACCOUNT_ID,
    CLIENT_ID,
    CLIENT_SECRET,
    REFRESH_TOKEN,
)
from adsync_pipeline.security.vault import generate_key

EXAMPLE = Path(__file__).parents[2] / "adsync_pipeline" / "examples" / "summer-sale.json"


@dataclass
class Outcome:
    code: int
    out: str
    err: str


@pytest.fixture
def adsync(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path):
    """Runs the real entry point (`main`, with its error handling) in-process, with a
    Dagster home and configuration directory of the test's own."""
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "dagster_home"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    (tmp_path / "dagster_home").mkdir(exist_ok=True)

    def run(*args: str) -> Outcome:
        monkeypatch.setattr(sys, "argv", ["adsync", *args])
        code = 0
        try:
            main()
        except SystemExit as exc:
            code = int(exc.code or 0)
        captured = capsys.readouterr()
        return Outcome(code, captured.out, captured.err)

    return run


@pytest.fixture
def env_db(db_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("ADSYNC_DATABASE_URL", db_url)
    return db_url


@pytest.fixture
def sandbox_env(reddit_sandbox: RunningSandbox, monkeypatch: pytest.MonkeyPatch) -> None:
    """What a push to the Reddit sandbox reads from the environment."""
    for name, value in {
        "ADSYNC_ENCRYPTION_KEY": generate_key(),
        "ADSYNC_REDDIT_API_URL": reddit_sandbox.api_url,
        "ADSYNC_REDDIT_AUTH_URL": reddit_sandbox.auth_url,
        "ADSYNC_REDDIT_CLIENT_ID": CLIENT_ID,
        "ADSYNC_REDDIT_CLIENT_SECRET": CLIENT_SECRET,
        "ADSYNC_USER_AGENT": "python:adsync:test (by /u/adsync_tests)",
    }.items():
        monkeypatch.setenv(name, value)


@pytest.fixture
def connected(adsync, env_db: str, sandbox_env: None) -> dict:
    """The sandbox's ad account, added as `adsync accounts add` does it."""
    added = adsync(
        "accounts", "add", "reddit", "--account-id", AD_ACCOUNT_ID,
        "--refresh-token", REFRESH_TOKEN, "--json",
    )  # fmt: skip
    assert added.code == 0, added.err
    return json.loads(added.out)


@pytest.fixture
def pushed_set(adsync, connected: dict) -> int:
    """The example set imported and pushed to the sandbox with `sync --now`."""
    imported = adsync("import", str(EXAMPLE), "--json")
    assert imported.code == 0, imported.err
    set_id = json.loads(imported.out)["campaign_set_id"]
    pushed = adsync("sync", str(set_id), "--now")
    assert pushed.code == 0, pushed.out + pushed.err
    return set_id

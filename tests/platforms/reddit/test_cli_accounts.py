"""`adsync accounts` end to end against the sandbox; no token or secret ever printed or logged."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner

import adsync_pipeline.cli.accounts  # noqa: F401  (attaches the group to `cli`)
from adsync_pipeline.cli.base import cli
from adsync_pipeline.sandbox.reddit import RunningSandbox
from adsync_pipeline.sandbox.reddit_state import (
    CLIENT_ID,
    CLIENT_SECRET,
    FUNDING_INSTRUMENT_ID,
    PROFILE_ID,
    REFRESH_TOKEN,
)
from adsync_pipeline.security.vault import generate_key

from .conftest import ACCOUNT, USER_AGENT


@pytest.fixture
def cli_env(reddit_sandbox: RunningSandbox, tmp_path: Path) -> dict[str, str]:
    return {
        "ADSYNC_DATABASE_URL": f"sqlite:///{tmp_path / 'cli.db'}",
        "ADSYNC_ENCRYPTION_KEY": generate_key(),
        "ADSYNC_REDDIT_API_URL": reddit_sandbox.api_url,
        "ADSYNC_REDDIT_AUTH_URL": reddit_sandbox.auth_url,
        "ADSYNC_REDDIT_CLIENT_ID": CLIENT_ID,
        "ADSYNC_REDDIT_CLIENT_SECRET": CLIENT_SECRET,
        "ADSYNC_USER_AGENT": USER_AGENT,
    }


def secrets_of(sandbox: RunningSandbox) -> list[str]:
    """Every token the sandbox ever issued, plus the client secret."""
    oauth = sandbox.state.snapshot()["oauth"]
    issued = [*oauth["access_tokens"], *oauth["refresh_tokens"]]
    return [REFRESH_TOKEN, CLIENT_SECRET, *issued]


def assert_no_secret(text: str, sandbox: RunningSandbox) -> None:
    for secret in secrets_of(sandbox):
        assert secret not in text


def test_add_list_revoke_never_show_tokens(
    reddit_sandbox: RunningSandbox, cli_env: dict[str, str], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    runner = CliRunner()
    add = runner.invoke(
        cli,
        ["accounts", "add", "reddit", "--account-id", ACCOUNT, "--refresh-token", REFRESH_TOKEN]
        + ["--json"],
        env=cli_env,
        catch_exceptions=False,
    )
    assert add.exit_code == 0, add.output
    added = json.loads(add.output)
    assert added["platform_account_id"] == ACCOUNT and added["has_tokens"]
    assert (added["funding_instrument_id"], added["profile_id"]) == (
        FUNDING_INSTRUMENT_ID,
        PROFILE_ID,
    )
    listed = runner.invoke(cli, ["accounts", "list", "--json"], env=cli_env)
    assert [a["id"] for a in json.loads(listed.output)] == [added["id"]]
    plain = runner.invoke(cli, ["accounts", "list"], env=cli_env)
    assert ACCOUNT in plain.output
    revoked = runner.invoke(cli, ["accounts", "revoke", str(added["id"]), "--json"], env=cli_env)
    assert revoked.exit_code == 0, revoked.output
    assert json.loads(revoked.output)["revoked_at"]
    oauth = reddit_sandbox.state.snapshot()["oauth"]
    assert oauth["refresh_tokens"].get(REFRESH_TOKEN, {"revoked": True})["revoked"]
    everything = add.output + listed.output + plain.output + revoked.output + caplog.text
    assert_no_secret(everything, reddit_sandbox)


def test_add_with_a_revoked_token_fails_clearly(
    reddit_sandbox: RunningSandbox, cli_env: dict[str, str]
) -> None:
    with reddit_sandbox.state.writing() as data:
        data["oauth"]["refresh_tokens"][REFRESH_TOKEN]["revoked"] = True
    result = CliRunner().invoke(
        cli,
        ["accounts", "add", "reddit", "--account-id", ACCOUNT, "--refresh-token", REFRESH_TOKEN],
        env=cli_env,
    )
    assert result.exit_code != 0
    assert "rejected the refresh token" in str(result.exception)
    assert REFRESH_TOKEN not in str(result.exception) + result.output


def test_missing_client_credentials_and_key_are_clear(
    reddit_sandbox: RunningSandbox, cli_env: dict[str, str]
) -> None:
    args = ["accounts", "add", "reddit", "--account-id", ACCOUNT, "--refresh-token", "x"]
    result = CliRunner().invoke(cli, args, env={**cli_env, "ADSYNC_REDDIT_CLIENT_ID": ""})
    assert "ADSYNC_REDDIT_CLIENT_ID" in str(result.exception)
    result = CliRunner().invoke(cli, args, env={**cli_env, "ADSYNC_ENCRYPTION_KEY": ""})
    assert "ADSYNC_ENCRYPTION_KEY" in str(result.exception)


def test_connect_through_the_loopback_callback(
    reddit_sandbox: RunningSandbox, cli_env: dict[str, str]
) -> None:
    code = (
        "import adsync_pipeline.cli.accounts; from adsync_pipeline.cli.base import cli; "
        "cli(['accounts', 'connect', 'reddit', '--account-id', 't2_sandbox01', '--json', "
        "'--timeout', '30'])"
    )
    process = subprocess.Popen(
        [sys.executable, "-c", code],
        env={**os.environ, **cli_env},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stderr is not None
        url = ""
        while not url.startswith("http"):
            url = process.stderr.readline().strip()
            assert url or process.poll() is None, "connect exited before printing the URL"
        # The "browser": the sandbox approves at once and redirects to our callback.
        answer = httpx.get(url, follow_redirects=True, headers={"User-Agent": USER_AGENT})
        assert answer.status_code == 200
        out, err = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 0, err
    connected = json.loads(out)
    assert connected["platform_account_id"] == ACCOUNT and connected["has_tokens"]
    assert_no_secret(out + err + url, reddit_sandbox)

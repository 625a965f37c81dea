"""`adsync accounts` end to end against the sandbox; no token or secret ever printed or logged."""

from __future__ import annotations

import json
import logging
import os
import socket
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner, Result

import adsync_pipeline.cli.accounts  # noqa: F401  (attaches the group to `cli`)
from adsync_pipeline.cli.base import cli
from adsync_pipeline.config import RedditSettings
from adsync_pipeline.sandbox.reddit import RunningSandbox
from adsync_pipeline.sandbox.reddit_state import (
    BUSINESS_ID,
    CLIENT_ID,
    CLIENT_SECRET,
    FUNDING_INSTRUMENT_ID,
    PROFILE_ID,
    REFRESH_TOKEN,
)
from adsync_pipeline.security.vault import Vault, generate_key
from adsync_pipeline.store.accounts import AccountRepository
from adsync_pipeline.store.db import Database
from adsync_pipeline.sync.accounts import AccountConnectError, connect_with_refresh_token

from .conftest import ACCOUNT, USER_AGENT

SECOND_ACCOUNT = "t2_sandbox02"


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


ADD = ["accounts", "add", "reddit", "--account-id", ACCOUNT, "--refresh-token", REFRESH_TOKEN]


def add_account(runner: CliRunner, env: dict[str, str]) -> Result:
    return runner.invoke(cli, [*ADD, "--json"], env=env, catch_exceptions=False)


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
    add = add_account(runner, cli_env)
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
    result = CliRunner().invoke(cli, ADD, env=cli_env)
    assert result.exit_code != 0
    assert "rejected the refresh token" in str(result.exception)
    assert REFRESH_TOKEN not in str(result.exception) + result.output


def test_connect_with_refresh_token_service_is_idempotent(
    reddit_sandbox: RunningSandbox,
    settings: RedditSettings,
    account_db: Database,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The service `accounts add` and `adsync demo` share: validate, store, cache."""
    monkeypatch.setenv("ADSYNC_ENCRYPTION_KEY", generate_key())
    first = connect_with_refresh_token(account_db, "reddit", ACCOUNT, REFRESH_TOKEN, settings)
    again = connect_with_refresh_token(account_db, "reddit", ACCOUNT, REFRESH_TOKEN, settings)
    assert first.id == again.id and again.has_tokens
    assert (again.funding_instrument_id, again.profile_id) == (FUNDING_INSTRUMENT_ID, PROFILE_ID)
    tokens = AccountRepository(account_db, Vault.from_env()).load_tokens(again.id)
    assert tokens.refresh_token == REFRESH_TOKEN
    assert REFRESH_TOKEN not in repr(again) + repr(again.to_dict())
    with pytest.raises(AccountConnectError, match="unsupported platform"):
        connect_with_refresh_token(account_db, "meta", ACCOUNT, REFRESH_TOKEN, settings)


def test_missing_client_credentials_and_key_are_clear(
    reddit_sandbox: RunningSandbox, cli_env: dict[str, str]
) -> None:
    args = ["accounts", "add", "reddit", "--account-id", ACCOUNT, "--refresh-token", "x"]
    result = CliRunner().invoke(cli, args, env={**cli_env, "ADSYNC_REDDIT_CLIENT_ID": ""})
    assert "ADSYNC_REDDIT_CLIENT_ID" in str(result.exception)
    result = CliRunner().invoke(cli, args, env={**cli_env, "ADSYNC_ENCRYPTION_KEY": ""})
    assert "ADSYNC_ENCRYPTION_KEY" in str(result.exception)


def run_connect(
    sandbox: RunningSandbox, env: dict[str, str], args: list[str], answer: str | None = None
) -> tuple[int, str, str, str]:
    """`adsync accounts connect reddit ARGS` in a subprocess, with this test as the browser;
    `answer` is typed at a prompt (None: stdin is closed). Returns (code, out, err, url)."""
    argv = ["adsync", "accounts", "connect", "reddit", "--json", "--timeout", "30", *args]
    code = f"import sys; from adsync_pipeline.cli import main; sys.argv = {argv!r}; main()"
    process = subprocess.Popen(
        [sys.executable, "-c", code],
        env={**os.environ, **env},
        stdin=subprocess.DEVNULL if answer is None else subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stderr is not None
        url, before = "", ""
        while not url.startswith("http"):
            url = process.stderr.readline().strip()
            before += url + "\n"
            assert url or process.poll() is None, "connect exited before printing the URL"
        # The "browser": the sandbox approves at once and redirects to our callback.
        response = httpx.get(url, follow_redirects=True, headers={"User-Agent": USER_AGENT})
        assert response.status_code == 200
        out, err = process.communicate(input=answer, timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
    return process.returncode, out, before + err, url


def test_connect_through_the_loopback_callback(
    reddit_sandbox: RunningSandbox, cli_env: dict[str, str]
) -> None:
    code, out, err, url = run_connect(reddit_sandbox, cli_env, ["--account-id", ACCOUNT])
    assert code == 0, err
    connected = json.loads(out)
    assert connected["platform_account_id"] == ACCOUNT and connected["has_tokens"]
    assert_no_secret(out + err + url, reddit_sandbox)


def test_connect_without_account_id_picks_the_only_account(
    reddit_sandbox: RunningSandbox, cli_env: dict[str, str]
) -> None:
    code, out, err, url = run_connect(reddit_sandbox, cli_env, [])
    assert code == 0, err
    connected = json.loads(out)
    assert connected["platform_account_id"] == ACCOUNT and connected["has_tokens"]
    assert (connected["funding_instrument_id"], connected["profile_id"]) == (
        FUNDING_INSTRUMENT_ID,
        PROFILE_ID,
    )
    assert "Which ad account?" not in err
    listed = [r["path"] for r in reddit_sandbox.requests()]
    assert any(path.endswith(f"/businesses/{BUSINESS_ID}/ad_accounts") for path in listed)
    assert_no_secret(out + err + url, reddit_sandbox)


def test_connect_with_two_accounts_asks_which(
    reddit_sandbox: RunningSandbox, cli_env: dict[str, str]
) -> None:
    reddit_sandbox.add_ad_account(SECOND_ACCOUNT, name="Second Ad Account")
    code, out, err, url = run_connect(reddit_sandbox, cli_env, [], answer="2\n")
    assert code == 0, err
    assert f"1. {ACCOUNT}" in err and f"2. {SECOND_ACCOUNT}  Second Ad Account" in err
    assert "Which ad account?" in err
    connected = json.loads(out)
    assert connected["platform_account_id"] == SECOND_ACCOUNT and connected["has_tokens"]
    assert connected["name"] == "Second Ad Account"
    assert connected["funding_instrument_id"] and connected["profile_id"]
    assert connected["funding_instrument_id"] != FUNDING_INSTRUMENT_ID
    assert_no_secret(out + err + url, reddit_sandbox)


def test_connect_with_two_accounts_and_no_answer_names_them(
    reddit_sandbox: RunningSandbox, cli_env: dict[str, str]
) -> None:
    reddit_sandbox.add_ad_account(SECOND_ACCOUNT)
    code, out, err, url = run_connect(reddit_sandbox, cli_env, [])
    assert code != 0 and out == ""
    assert f"several ad accounts ({ACCOUNT}, {SECOND_ACCOUNT}); pass --account-id" in err
    assert "Traceback" not in err
    assert_no_secret(out + err + url, reddit_sandbox)


def test_revoke_when_reddit_cannot_be_reached_keeps_tokens_unless_local_only(
    reddit_sandbox: RunningSandbox, cli_env: dict[str, str]
) -> None:
    runner = CliRunner()
    account = str(json.loads(add_account(runner, cli_env).output)["id"])
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        unreachable = {
            **cli_env,
            "ADSYNC_REDDIT_AUTH_URL": f"http://127.0.0.1:{closed.getsockname()[1]}",
        }

    refused = runner.invoke(cli, ["accounts", "revoke", account], env=unreachable)

    assert refused.exit_code != 0
    assert "--local-only" in str(refused.exception) and "kept here" in str(refused.exception)
    listed = json.loads(runner.invoke(cli, ["accounts", "list", "--json"], env=cli_env).output)
    assert listed[0]["has_tokens"] and listed[0]["revoked_at"] is None

    local = runner.invoke(
        cli, ["accounts", "revoke", account, "--local-only", "--json"], env=unreachable
    )

    assert local.exit_code == 0, local.output
    assert json.loads(local.output)["revoked_at"]
    # Reddit was not asked: the grant is still valid there.
    oauth = reddit_sandbox.state.snapshot()["oauth"]
    assert not oauth["refresh_tokens"][REFRESH_TOKEN].get("revoked")

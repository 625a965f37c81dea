"""`adsync accounts`: connect, add, list and revoke ad account connections.

Tokens and the client secret are never printed: outputs are built from `AccountRecord`s,
which carry no token, and errors from the platform layer never include one.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import click

from adsync_pipeline.cli.base import UserError, cli, emit_json
from adsync_pipeline.cli.tables import table
from adsync_pipeline.config import RedditSettings, reddit_settings
from adsync_pipeline.errors import NotFoundError
from adsync_pipeline.platforms.reddit.client import RedditClient, StaticTokenProvider
from adsync_pipeline.platforms.reddit.errors import RedditApiError
from adsync_pipeline.platforms.reddit.oauth import RedditOAuth, TokenGrant, check_state
from adsync_pipeline.platforms.reddit.services import RedditAds
from adsync_pipeline.security.vault import Vault
from adsync_pipeline.store.accounts import AccountRecord, AccountRepository
from adsync_pipeline.store.migrate import migrated_database
from adsync_pipeline.sync.accounts import connect_with_refresh_token, store_grant

PLATFORMS = click.Choice(["reddit"])


@cli.group()
def accounts() -> None:
    """Ad account connections (OAuth tokens are stored encrypted)."""


def _repository(needs_vault: bool) -> AccountRepository:
    vault = Vault.from_env() if needs_vault else None  # fail on a bad key before any work
    return AccountRepository(migrated_database(), vault)


ACCOUNT_HEADERS = ("id", "platform", "account", "name", "state", "funding", "profile", "pixel")


def _row(record: AccountRecord) -> tuple[object, ...]:
    state = "revoked" if record.revoked_at else ("connected" if record.has_tokens else "no token")
    return (
        record.id,
        record.platform,
        record.platform_account_id,
        record.name,
        state,
        record.funding_instrument_id,
        record.profile_id,
        record.pixel_id,
    )


def show_account(record: AccountRecord, as_json: bool) -> None:
    if as_json:
        emit_json(record.to_dict())
        return
    click.echo(table(ACCOUNT_HEADERS, [_row(record)]))


def resolve_account(
    records: list[AccountRecord], given: str, platform: str | None
) -> AccountRecord:
    """The one account `given` names: its platform account id (`t2_…`), or the local id
    `accounts list` shows; `platform` narrows both when they would name several."""
    candidates = [r for r in records if platform is None or r.platform == platform]
    by_platform_id = [r for r in candidates if r.platform_account_id == given]
    by_local_id = [r for r in candidates if given.isdigit() and r.id == int(given)]
    found = {r.id: r for r in [*by_platform_id, *by_local_id]}
    if len(found) == 1:
        return next(iter(found.values()))
    where = f" on {platform}" if platform else ""
    if not found:
        raise NotFoundError(
            f"no ad account {given!r}{where}: give the account id or the local id that "
            "`adsync accounts list` shows"
        )
    named = ", ".join(f"{r.platform} {r.platform_account_id} (id {r.id})" for r in found.values())
    raise UserError(
        f"ad account {given!r} names several accounts ({named}): pass --platform, or the local id"
    )


@accounts.command("add")
@click.argument("platform", type=PLATFORMS)
@click.option("--account-id", required=True, help="Reddit ad account id (t2_… / a2_…).")
@click.option(
    "--refresh-token",
    required=True,
    envvar="ADSYNC_REDDIT_REFRESH_TOKEN",
    help="A refresh token obtained elsewhere (or set ADSYNC_REDDIT_REFRESH_TOKEN).",
)
@click.option("--json", "as_json", is_flag=True)
def add(platform: str, account_id: str, refresh_token: str, as_json: bool) -> None:
    """Connect an account headlessly from a refresh token (validated by one refresh)."""
    db = migrated_database()
    try:
        record = connect_with_refresh_token(db, platform, account_id, refresh_token)
    finally:
        db.dispose()
    show_account(record, as_json)


@dataclass
class _Callback:
    code: str | None = None
    state: str | None = None
    error: str | None = None


@contextmanager
def _callback_server(port: int) -> Iterator[tuple[HTTPServer, _Callback, threading.Event]]:
    """A one-shot loopback HTTP server that receives the OAuth redirect."""
    result, done = _Callback(), threading.Event()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
            query = parse_qs(urlsplit(self.path).query)
            if urlsplit(self.path).path != "/callback":
                self.send_error(404)
                return
            result.code = (query.get("code") or [None])[0]
            result.state = (query.get("state") or [None])[0]
            result.error = (query.get("error") or [None])[0]
            self.send_response(200)
            self.send_header("Content-Type", "text/plain; charset=utf-8")
            self.end_headers()
            self.wfile.write(b"adsync received the authorization; you can close this window.\n")
            done.set()

        def log_message(self, format: str, *args: Any) -> None:
            # The default logs the request line, which carries the authorization code.
            return

    server = HTTPServer(("127.0.0.1", port), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server, result, done
    finally:
        server.shutdown()
        server.server_close()


async def _discover_accounts(settings: RedditSettings, grant: TokenGrant) -> list[dict[str, Any]]:
    async with RedditClient(StaticTokenProvider(grant.access_token), settings=settings) as client:
        ads = RedditAds(client)
        found: list[dict[str, Any]] = []
        for business in await ads.list_businesses():
            found += await ads.list_business_ad_accounts(str(business["id"]))
        return found


def _choose_account(settings: RedditSettings, grant: TokenGrant) -> str:
    try:
        found = asyncio.run(_discover_accounts(settings, grant))
    except RedditApiError as exc:
        raise UserError(f"cannot list your ad accounts ({exc}); pass --account-id") from None
    if not found:
        raise UserError("this Reddit user has no ad accounts; pass --account-id")
    if len(found) == 1:
        return str(found[0]["id"])
    listing = [f"{index}. {a['id']}  {a.get('name') or ''}" for index, a in enumerate(found, 1)]
    click.echo("This Reddit user has several ad accounts:", err=True)
    for line in listing:
        click.echo(line, err=True)
    try:
        choice = click.prompt(
            "Which ad account?", type=click.IntRange(1, len(found)), err=True, default=1
        )
    except click.Abort:  # no answer (stdin closed): say what to pass instead
        accounts = ", ".join(str(a["id"]) for a in found)
        raise UserError(f"several ad accounts ({accounts}); pass --account-id") from None
    return str(found[choice - 1]["id"])


@accounts.command("connect")
@click.argument("platform", type=PLATFORMS)
@click.option("--account-id", help="Ad account to connect (asked when the user has several).")
@click.option(
    "--port",
    default=0,
    show_default=True,
    help="Loopback port of the callback (0: any free one; Reddit apps need the registered one).",
)
@click.option("--timeout", default=300, show_default=True, help="Seconds to wait for the login.")
@click.option("--json", "as_json", is_flag=True)
def connect(platform: str, account_id: str | None, port: int, timeout: int, as_json: bool) -> None:
    """Connect an account through Reddit's consent page (opens nothing by itself)."""
    settings = reddit_settings()
    oauth = RedditOAuth(settings)
    repo = _repository(needs_vault=True)
    with _callback_server(port) as (server, result, done):
        redirect_uri = f"http://127.0.0.1:{server.server_address[1]}/callback"
        url, state = oauth.authorization_url(redirect_uri)
        click.echo("Open this URL in a browser and approve access:", err=True)
        click.echo(url, err=True)
        if not done.wait(timeout):
            raise UserError(f"no authorization arrived within {timeout} s")
    if result.error:
        raise UserError(f"Reddit answered the authorization with an error: {result.error}")
    check_state(state, result.state)
    if not result.code:
        raise UserError("the redirect carried no authorization code")
    grant = asyncio.run(oauth.exchange_code(result.code, redirect_uri))
    chosen = account_id or _choose_account(settings, grant)
    record = asyncio.run(store_grant(repo, settings, chosen, grant))
    show_account(record, as_json)


@accounts.command("list")
@click.option("--json", "as_json", is_flag=True)
def list_accounts(as_json: bool) -> None:
    """Connected accounts and their cached funding instrument, profile and pixel."""
    records = _repository(needs_vault=False).list()
    if as_json:
        emit_json([record.to_dict() for record in records])
        return
    if not records:
        click.echo("no ad accounts yet: adsync accounts connect reddit")
        return
    click.echo(table(ACCOUNT_HEADERS, [_row(record) for record in records]))


@accounts.command("revoke")
@click.argument("account")
@click.option(
    "--platform",
    type=PLATFORMS,
    help="The account's platform, when its id is not unique across platforms.",
)
@click.option(
    "--local-only",
    is_flag=True,
    help="Forget the tokens here without asking Reddit (when it cannot be reached). The grant "
    "stays valid at Reddit until it is revoked there, in the user's app preferences.",
)
@click.option("--json", "as_json", is_flag=True)
def revoke(account: str, platform: str | None, local_only: bool, as_json: bool) -> None:
    """Revoke the connection of ACCOUNT (its id, e.g. t2_…, or the local id) at Reddit and
    forget its tokens here."""
    repo = _repository(needs_vault=not local_only)
    record = resolve_account(repo.list(), account, platform)
    if record.revoked_at is None and record.has_tokens:
        if not local_only:
            tokens = repo.load_tokens(record.id)
            try:
                asyncio.run(RedditOAuth(reddit_settings()).revoke(tokens.refresh_token))
            except RedditApiError as exc:
                raise UserError(
                    f"Reddit did not revoke the grant of account {record.platform_account_id} "
                    f"({exc}); its tokens are kept here. Run it again later, or with "
                    "--local-only to forget them here anyway."
                ) from exc
        repo.mark_revoked(record.id)
    show_account(repo.get(record.id), as_json)

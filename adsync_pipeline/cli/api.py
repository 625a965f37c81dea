"""`adsync api`: serve the HTTP API and manage its keys."""

from __future__ import annotations

import click

from adsync_pipeline.cli.base import cli, emit_json
from adsync_pipeline.cli.tables import table
from adsync_pipeline.store.api_keys import ApiKeyRecord, ApiKeyRepository
from adsync_pipeline.store.migrate import migrated_database


@cli.group("api")
def api_group() -> None:
    """The HTTP API (for apps such as the campaign builder)."""


@api_group.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=click.IntRange(0, 65535))
@click.option(
    "--run-in-process",
    is_flag=True,
    help="Also run queued syncs in this process (for setups without a Dagster daemon).",
)
def serve_command(host: str, port: int, run_in_process: bool) -> None:
    """Serve the API with uvicorn; every route but /health needs an API key."""
    from adsync_pipeline.api.server import serve

    serve(host, port, run_in_process=run_in_process)


@api_group.group("keys")
def keys_group() -> None:
    """API keys: `Authorization: Bearer <key>`."""


def _repository() -> ApiKeyRepository:
    return ApiKeyRepository(migrated_database())


def _row(record: ApiKeyRecord) -> dict[str, object]:
    return {
        "name": record.name,
        "prefix": record.prefix,
        "created_at": record.created_at,
        "last_used_at": record.last_used_at,
        "revoked_at": record.revoked_at,
    }


@keys_group.command("create")
@click.argument("name")
@click.option("--json", "as_json", is_flag=True, help="Print the key and its record as JSON.")
def create_command(name: str, as_json: bool) -> None:
    """Create a key; it is printed once and only its hash is kept."""
    record, key = _repository().create(name)
    if as_json:
        emit_json({**_row(record), "key": key})
    else:
        click.echo(key)
    click.echo(f"API key {name!r} created; store it now, it cannot be shown again.", err=True)


@keys_group.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
def list_command(as_json: bool) -> None:
    """Every key (its prefix only), with its last use and revocation."""
    records = _repository().list()
    if as_json:
        emit_json([_row(r) for r in records])
        return
    if not records:
        click.echo("no API keys yet: adsync api keys create NAME")
        return
    rows = [
        (
            r.name,
            f"{r.prefix}…",
            r.created_at,
            r.last_used_at or "never",
            f"revoked {r.revoked_at:%Y-%m-%d %H:%M:%S}" if r.revoked_at else "live",
        )
        for r in records
    ]
    click.echo(table(("name", "prefix", "created", "last used", "state"), rows))


@keys_group.command("revoke")
@click.argument("name")
@click.option("--json", "as_json", is_flag=True, help="Print the revoked key's record as JSON.")
def revoke_command(name: str, as_json: bool) -> None:
    """Revoke a key at once: requests with it get 401 from then on."""
    record = _repository().revoke(name)
    if as_json:
        emit_json(_row(record))
    else:
        click.echo(f"API key {name!r} revoked")

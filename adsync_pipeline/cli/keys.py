"""`adsync keys …`: the encryption key of stored OAuth tokens."""

from __future__ import annotations

import click

from adsync_pipeline.cli.base import cli, emit_json


@cli.group()
def keys() -> None:
    """The key that encrypts stored OAuth tokens (ADSYNC_ENCRYPTION_KEY)."""


@keys.command("generate")
def generate() -> None:
    """Print a new random key (nothing is stored)."""
    from adsync_pipeline.security.vault import generate_key

    click.echo(generate_key())


@keys.command("rotate")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def rotate(as_json: bool) -> None:
    """Re-encrypt every stored token under the first key of ADSYNC_ENCRYPTION_KEY.

    Rotating: set ADSYNC_ENCRYPTION_KEY=NEW,OLD (comma-separated, newest first) for every
    process, run this, then drop OLD from the list.
    """
    from adsync_pipeline.security.vault import Vault
    from adsync_pipeline.store.accounts import AccountRepository
    from adsync_pipeline.store.migrate import migrated_database

    vault = Vault.from_env()
    db = migrated_database()
    try:
        result = AccountRepository(db, vault).reencrypt_tokens()
    finally:
        db.dispose()
    if as_json:
        emit_json({"rotated": result.rotated, "already_current": result.already_current})
        return
    noun = "connection" if result.rotated == 1 else "connections"
    click.echo(
        f"re-encrypted the tokens of {result.rotated} {noun} under the current key; "
        f"{result.already_current} already used it"
    )
    if result.rotated or vault.has_older_keys:
        click.echo("Every token now reads with the first key alone: drop the older keys.")

"""`adsync conflicts`: list conflicts and resolve them by picking a side."""

from __future__ import annotations

import getpass

import click

from adsync_pipeline.cli.base import cli, emit_json
from adsync_pipeline.cli.tables import table
from adsync_pipeline.store.conflicts import ConflictRecord, ConflictRepository
from adsync_pipeline.store.migrate import migrated_database
from adsync_pipeline.sync.conflicts import SIDES, resolve_conflict


@cli.group("conflicts")
def conflicts_group() -> None:
    """Fields changed both locally and on the platform."""


@conflicts_group.command("list")
@click.option("--all", "include_resolved", is_flag=True, help="Include resolved ones.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def list_command(include_resolved: bool, as_json: bool) -> None:
    """Open conflicts (all of them with --all)."""
    db = migrated_database()
    try:
        found = ConflictRepository(db).list(include_resolved=include_resolved)
    finally:
        db.dispose()
    if as_json:
        emit_json([conflict.to_dict() for conflict in found])
        return
    if not found:
        click.echo("no conflicts" if include_resolved else "no open conflicts")
        return
    click.echo(table(HEADERS, [_row(conflict) for conflict in found]))


@conflicts_group.command("resolve")
@click.argument("conflict_id", type=int)
@click.option("--use", type=click.Choice(SIDES), required=True, help="The side that wins.")
@click.option("--by", "resolved_by", default=None, help="Who resolves it (default: $USER).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def resolve_command(conflict_id: int, use: str, resolved_by: str | None, as_json: bool) -> None:
    """Resolve a conflict: `local` pushes the local value, `platform` takes the platform's."""
    db = migrated_database()
    try:
        resolution = resolve_conflict(db, conflict_id, use, resolved_by or getpass.getuser())
    finally:
        db.dispose()
    if as_json:
        emit_json(resolution.to_dict())
        return
    click.echo(table(HEADERS, [_row(resolution.conflict)]))
    pushed = ""
    if resolution.push is not None:
        pushed = f" after a push ({resolution.push.synced} synced, {resolution.push.failed} failed)"
    click.echo(f"entity is {resolution.sync_status.value}{pushed}")


HEADERS = ("id", "set", "entity", "key", "field", "base", "local", "platform", "detected", "state")


def _row(conflict: ConflictRecord) -> tuple[object, ...]:
    state = (
        f"resolved: {conflict.resolution} by {conflict.resolved_by} at "
        f"{conflict.resolved_at:%Y-%m-%d %H:%M:%S}"
        if conflict.resolved_at
        else "open"
    )
    return (
        conflict.id,
        conflict.campaign_set_id,
        conflict.entity_type,
        conflict.entity_key,
        conflict.field,
        repr(conflict.base),
        repr(conflict.local),
        repr(conflict.remote),
        conflict.detected_at,
        state,
    )

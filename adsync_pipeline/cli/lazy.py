"""A click group whose commands are imported only when one of them runs.

Each command module pulls in its own stack (the store, the sandbox, Dagster...), so the root
group knows every command by name, module and one-line help, and imports a module only when
its command is asked for: `adsync --help` imports none of them.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import click
from click.utils import make_default_short_help


@dataclass(frozen=True)
class LazyCommand:
    """Where a command lives and the help line the root help shows before it is imported."""

    module: str
    short_help: str


class LazyGroup(click.Group):
    """A group that imports a command's module on first use; the module registers the command
    on this group as it is imported (`@cli.command(...)`)."""

    def __init__(
        self, *args: Any, lazy_commands: Mapping[str, LazyCommand] | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.lazy_commands: dict[str, LazyCommand] = dict(lazy_commands or {})

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(set(self.commands) | set(self.lazy_commands))

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        lazy = self.lazy_commands.get(cmd_name)
        if cmd_name not in self.commands and lazy is not None:
            importlib.import_module(lazy.module)
        return self.commands.get(cmd_name)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        # As click.Group.format_commands, but a command not imported yet shows its help from
        # the table instead of being imported for it.
        names = self.list_commands(ctx)
        if not names:
            return
        limit = formatter.width - 6 - max(len(name) for name in names)
        rows: list[tuple[str, str]] = []
        for name in names:
            command = self.commands.get(name)
            if command is None:
                rows.append(
                    (name, make_default_short_help(self.lazy_commands[name].short_help, limit))
                )
            elif not command.hidden:
                rows.append((name, command.get_short_help_str(limit)))
        with formatter.section("Commands"):
            formatter.write_dl(rows)

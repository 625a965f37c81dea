"""`adsync --help` starts on click alone; a command imports its own module when it runs."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.utils import make_default_short_help

from adsync_pipeline.cli import _register
from adsync_pipeline.cli.base import COMMANDS, cli

# Packages a command may need but the root help must not pay for.
HEAVY = (
    "alembic",
    "cryptography",
    "dagster",
    "fastapi",
    "httpx",
    "jsonschema",
    "pandas",
    "psycopg",
    "pydantic",
    "sqlalchemy",
    "starlette",
    "tenacity",
    "uvicorn",
)
# Runs the real entry point with argv, then writes the names of the imported modules to a file.
_PROBE = """
import json, sys
out, sys.argv = sys.argv[1], ["adsync", *sys.argv[2:]]
from adsync_pipeline.cli import main
try:
    main()
finally:
    with open(out, "w") as handle:
        json.dump(sorted(sys.modules), handle)
"""


def _run(tmp_path: Path, *args: str) -> tuple[str, set[str]]:
    modules_file = tmp_path / "modules.json"
    done = subprocess.run(
        [sys.executable, "-c", _PROBE, str(modules_file), *args],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout, set(json.loads(modules_file.read_text()))


def _loaded(modules: set[str], packages: tuple[str, ...]) -> list[str]:
    return sorted(m for m in modules if m.split(".")[0] in packages)


def test_root_help_lists_every_command_without_importing_any(tmp_path: Path) -> None:
    out, modules = _run(tmp_path, "--help")

    for name in COMMANDS:
        assert f"\n  {name} " in out, f"`adsync --help` does not list {name}:\n{out}"
    assert "  sets       Campaign sets.\n" in out
    assert _loaded(modules, HEAVY) == []
    assert sorted(m for m in modules if m.startswith("adsync_pipeline")) == [
        "adsync_pipeline",
        "adsync_pipeline.cli",
        "adsync_pipeline.cli.base",
        "adsync_pipeline.cli.lazy",
        "adsync_pipeline.errors",
    ]


def test_a_commands_help_imports_only_that_command(tmp_path: Path) -> None:
    out, modules = _run(tmp_path, "sets", "--help")

    assert "Usage: adsync sets" in out and "list" in out
    command_modules = {lazy.module for lazy in COMMANDS.values()}
    assert sorted(command_modules & modules) == ["adsync_pipeline.cli.sets"]
    assert _loaded(modules, ("dagster", "fastapi", "pandas", "jsonschema")) == []


def test_an_unknown_command_is_refused(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-c", "from adsync_pipeline.cli import main; main()", "nope"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert "No such command 'nope'" in done.stderr


def test_the_command_table_matches_the_command_modules() -> None:
    # A command added to a module but not to base.COMMANDS could never be run.
    _register()
    assert sorted(cli.commands) == sorted(COMMANDS), (
        "every command needs its row in adsync_pipeline.cli.base.COMMANDS (and no row without "
        "a command)"
    )
    for name, lazy in COMMANDS.items():
        command = cli.commands[name]
        assert command.callback is not None
        assert command.callback.__module__ == lazy.module, name
        assert command.get_short_help_str(10_000) == lazy.short_help, (
            f"COMMANDS[{name!r}].short_help must be the first sentence of its help"
        )


@pytest.mark.parametrize("limit", [20, 45, 60, 200])
def test_the_table_help_is_shortened_as_click_shortens_the_command_help(limit: int) -> None:
    _register()
    for name, lazy in COMMANDS.items():
        expected = cli.commands[name].get_short_help_str(limit)
        assert make_default_short_help(lazy.short_help, limit) == expected, name

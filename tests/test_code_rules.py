"""The tree's own rules, checked with the tests (so `pytest`, and so CI, enforce them): the
layers of ARCHITECTURE.md as import-linter contracts (pyproject.toml), and ruff."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


@pytest.mark.parametrize(
    "command",
    [
        ["lint-imports", "--no-cache"],
        ["ruff", "check", "."],
        ["ruff", "format", "--check", "."],
    ],
    ids=["import-linter", "ruff-check", "ruff-format"],
)
def test_tree_keeps_its_rules(command: list[str]) -> None:
    done = subprocess.run(
        [str(BIN / command[0]), *command[1:]],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]

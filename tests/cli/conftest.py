"""The real `adsync` entry point run in-process, against a store of the test's own."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from adsync_pipeline.cli import main

EXAMPLE = Path(__file__).parents[2] / "adsync_pipeline" / "examples" / "summer-sale.json"


@dataclass
class Outcome:
    code: int
    out: str
    err: str


@pytest.fixture
def adsync(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]):
    """Runs the real entry point (`main`, with its error handling) in-process."""

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

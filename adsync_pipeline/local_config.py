"""The local configuration `adsync demo` leaves behind, and where adsync's home is.

A development machine should not need a dozen exported variables after the demo. The demo
writes `adsync.env` (KEY=value lines, mode 0600: it holds the encryption key) into the
home, and records the home's absolute path in the user's configuration directory, so that
every later command, from any directory, and every Dagster process find the same store,
key and sandbox. A deployment sets the environment, which always wins over the file.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from adsync_pipeline.errors import AdsyncError

LOCAL_CONFIG_FILE = "adsync.env"
DEFAULT_HOME_DIR = "dagster_home"
_HEADER = (
    "# Written by `adsync demo`: development settings every adsync command and Dagster read.\n"
    "# The environment always wins over this file. Keep it private: it holds the key that\n"
    "# decrypts the stored OAuth tokens; a new key cannot read tokens stored under this one.\n"
)


class HomeNotFound(AdsyncError):
    """No adsync home is configured, found here, or recorded by an earlier demo."""


@dataclass(frozen=True)
class Home:
    path: Path
    # "environment" (DAGSTER_HOME), "directory" (./dagster_home), "recorded" (the pointer
    # file an earlier demo wrote) or "new" (nothing found: where a demo would create one).
    source: str


def user_config_dir() -> Path:
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "adsync"


def pointer_file() -> Path:
    return user_config_dir() / "home"


def find_home() -> Home:
    """DAGSTER_HOME if set; else ./dagster_home if it exists (a checkout's own); else the
    home the last demo recorded; else ./dagster_home marked `new` (nothing there yet)."""
    explicit = os.environ.get("DAGSTER_HOME")
    if explicit:
        return Home(Path(explicit).expanduser().resolve(), "environment")
    here = Path(DEFAULT_HOME_DIR).resolve()
    if here.is_dir():
        return Home(here, "directory")
    try:
        recorded = pointer_file().read_text(encoding="utf-8").strip()
    except (FileNotFoundError, NotADirectoryError):
        recorded = ""
    if recorded:
        return Home(Path(recorded), "recorded")
    return Home(here, "new")


def existing_home() -> Path:
    """The home for commands that use an existing setup: never silently a new, empty one."""
    home = find_home()
    if home.source == "new":
        raise HomeNotFound(
            f"no adsync home here ({home.path} does not exist) and none recorded in "
            f"{pointer_file()}: run `adsync demo` once for a local setup, or set DAGSTER_HOME "
            "(and ADSYNC_DATABASE_URL) to your deployment's"
        )
    if home.source == "recorded" and not home.path.is_dir():
        raise HomeNotFound(
            f"the adsync home recorded in {pointer_file()} ({home.path}) no longer exists: "
            "run `adsync demo` again, or set DAGSTER_HOME"
        )
    return home.path


def record_home(path: Path) -> None:
    """Remember `path` as this user's adsync home (read by commands run elsewhere)."""
    pointer = pointer_file()
    pointer.parent.mkdir(parents=True, exist_ok=True)
    pointer.write_text(f"{path.resolve()}\n", encoding="utf-8")


def read_local_config(home: Path) -> dict[str, str]:
    """The settings in `home/adsync.env`; empty when there is none."""
    try:
        text = (home / LOCAL_CONFIG_FILE).read_text(encoding="utf-8")
    except (FileNotFoundError, NotADirectoryError):
        return {}
    values: dict[str, str] = {}
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        name, _, value = line.partition("=")
        values[name.strip()] = value.strip()
    return values


def write_local_config(home: Path, values: dict[str, str]) -> Path:
    """Write `home/adsync.env` atomically, readable by its owner only."""
    path = home / LOCAL_CONFIG_FILE
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(_HEADER)
        handle.writelines(f"{name}={value}\n" for name, value in values.items())
    os.chmod(tmp, 0o600)
    tmp.replace(path)
    return path

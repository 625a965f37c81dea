"""The README's first command, word for word, in a fresh virtualenv with no extras.

The working tree (tracked files and uncommitted changes, as a clone would have them) is
copied to a temp dir, a new virtualenv made there, and the Quick start's first line run in
it with the venv first on PATH, as a new user would. Slow on a cold pip cache (minutes): it
installs Dagster and the rest from the package index.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
README_FIRST_COMMAND = "python -m pip install -e . && adsync demo"
INSTALL_TIMEOUT_S = 1800
COMMAND_TIMEOUT_S = 300
TEST_ONLY_PACKAGES = ("pytest", "respx", "schemathesis")


def _readme_first_command() -> str:
    """The first line of the first code block of the README's Quick start, comment dropped."""
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    section = readme.split("\n## Quick start\n", 1)[1]
    block = section.split("```", 2)[1]
    first_line = block.splitlines()[1]
    return first_line.split("#", 1)[0].strip()


def _copy_working_tree(dest: Path) -> None:
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=REPO,
        capture_output=True,
        check=True,
    ).stdout.decode()
    for relative in filter(None, listed.split("\0")):
        # A clone's dagster_home holds only the shipped instance configurations.
        if relative.startswith("dagster_home/") and not relative.endswith((".yaml", ".yml")):
            continue
        source = REPO / relative
        if not source.is_file():  # deleted in the working tree, not yet committed
            continue
        target = dest / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, target, follow_symlinks=False)


def _pip_cache_dir() -> str:
    cache_home = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return os.environ.get("PIP_CACHE_DIR") or str(Path(cache_home) / "pip")


def _user_pip_config() -> str | None:
    # HOME moves to the temp dir; a pip index configured for the real user must still apply.
    config_home = Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config")
    for candidate in (config_home / "pip" / "pip.conf", Path.home() / ".pip" / "pip.conf"):
        if candidate.is_file():
            return str(candidate)
    return None


def _fresh_user_env(root: Path, venv: Path) -> dict[str, str]:
    """The environment of a new user: nothing of adsync or Dagster set, a home of its own,
    the venv first on PATH; pip's own settings (index, certificates, cache) kept."""
    dropped = {"VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP", "PYTHONUSERBASE"}
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("ADSYNC_", "DAGSTER_")) and name not in dropped
    }
    home = root / "home"
    env.update(
        HOME=str(home),
        XDG_CONFIG_HOME=str(home / ".config"),
        XDG_CACHE_HOME=str(home / ".cache"),
        XDG_DATA_HOME=str(home / ".local" / "share"),
        XDG_STATE_HOME=str(home / ".local" / "state"),
        PIP_CACHE_DIR=_pip_cache_dir(),
        PATH=f"{venv / 'bin'}{os.pathsep}{os.environ.get('PATH', '')}",
    )
    user_config = _user_pip_config()
    if user_config and "PIP_CONFIG_FILE" not in env:
        env["PIP_CONFIG_FILE"] = user_config
    return env


class Shell:
    """Runs command lines as the new user would type them, each output kept in a log file
    (not a pipe: a background process the demo leaves must not hold the command open)."""

    def __init__(self, root: Path, cwd: Path, env: dict[str, str]) -> None:
        self.root, self.cwd, self.env = root, cwd, env
        self.runs = 0
        self.timings: list[tuple[str, float]] = []

    def run(self, command: str, timeout: float = COMMAND_TIMEOUT_S) -> tuple[int, str]:
        self.runs += 1
        log = self.root / f"command-{self.runs}.log"
        started = time.monotonic()
        with log.open("w") as out:
            try:
                code = subprocess.run(
                    ["bash", "-c", command],
                    cwd=self.cwd,
                    env=self.env,
                    stdin=subprocess.DEVNULL,
                    stdout=out,
                    stderr=subprocess.STDOUT,
                    timeout=timeout,
                ).returncode
            except subprocess.TimeoutExpired:
                code = -1
        elapsed = time.monotonic() - started
        self.timings.append((command, elapsed))
        output = log.read_text(errors="replace")
        print(f"$ {command}  # exit {code}, {elapsed:.1f} s\n{output}")
        if code == -1:
            output += f"\n[timed out after {timeout} s]"
        return code, output


def _processes_under(root: Path) -> list[int]:
    """Processes (not this one) whose command line or working directory is inside `root`."""
    needle = str(root)
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            cwd = os.readlink(entry / "cwd")
        except OSError:  # gone meanwhile, or not ours to read
            continue
        if needle in cmdline or cwd == needle or cwd.startswith(needle + os.sep):
            found.append(int(entry.name))
    return found


def _kill_leftovers(root: Path) -> None:
    pids = _processes_under(root)
    for pid in pids:
        try:
            os.kill(pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
    deadline = time.monotonic() + 10
    while pids and time.monotonic() < deadline:
        time.sleep(0.2)
        pids = [pid for pid in pids if Path(f"/proc/{pid}").exists() and not _zombie(pid)]
    for pid in pids:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


def _zombie(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"
    except (OSError, IndexError):
        return False


@pytest.fixture
def fresh_clone(tmp_path: Path) -> Iterator[Shell]:
    """A copy of the working tree and an empty venv in it, beside a new user's home;
    afterwards nothing it started keeps running."""
    clone = tmp_path / "adsync"
    _copy_working_tree(clone)
    venv = clone / ".venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=300)
    shell = Shell(tmp_path, clone, _fresh_user_env(tmp_path, venv))
    try:
        yield shell
    finally:
        try:
            if (venv / "bin" / "adsync").exists():
                _, sandbox_help = shell.run("adsync sandbox --help", timeout=120)
                if re.search(r"^\s+stop\s", sandbox_help, re.MULTILINE):
                    shell.run("adsync sandbox stop", timeout=120)
        finally:
            started = time.monotonic()
            # The copy and its venv stay for pytest's tmp_path retention to remove: deleting
            # them here took a minute of a loaded disk for nothing a failure needs.
            _kill_leftovers(tmp_path)
            shell.timings.append(("cleanup", time.monotonic() - started))
        print("timings: " + "; ".join(f"{cmd!r} {s:.1f} s" for cmd, s in shell.timings))


def test_readme_first_command_works_in_a_fresh_virtualenv(fresh_clone: Shell) -> None:
    shell = fresh_clone
    command = _readme_first_command()
    assert command == README_FIRST_COMMAND, "the Quick start's first command changed: review this"
    venv_config = (shell.cwd / ".venv" / "pyvenv.cfg").read_text()
    assert "include-system-site-packages = false" in venv_config

    code, first = shell.run(command, timeout=INSTALL_TIMEOUT_S)
    assert code == 0, first[-6000:]
    assert "Successfully installed" in first and "adsync-0.1.0" in first
    assert re.search(r"^Dagster run \S+: SUCCESS$", first, re.MULTILINE), first[-4000:]
    synced = re.search(r"^\s+(\d+) synced, 0 failed", first, re.MULTILINE)
    assert synced and int(synced.group(1)) > 0, first[-4000:]
    entities = re.findall(
        r"^\s+(campaign|ad_group|ad|keyword)\s+\S.*\s(\S+)\s+synced$", first, re.MULTILINE
    )
    assert {level for level, _ in entities} == {"campaign", "ad_group", "ad", "keyword"}, first
    platform_ids = re.findall(
        r"^\s+(?:campaign|ad_group|ad)\s+\S+\s+(\d+)\s+synced$", first, re.MULTILINE
    )
    assert len(platform_ids) == sum(1 for level, _ in entities if level != "keyword"), first

    code, help_text = shell.run("adsync --help")
    assert code == 0, help_text
    assert "Usage: adsync" in help_text and re.search(r"^\s+demo\s", help_text, re.MULTILINE)

    code, second = shell.run("adsync demo")
    assert code == 0, second[-4000:]
    assert re.search(r"^Dagster run \S+: SUCCESS$", second, re.MULTILINE), second[-4000:]
    assert re.search(r"\(0 writes\)|zero writes", second), second[-4000:]

    code, missing = shell.run('python -c "import pytest"')
    assert code != 0 and "No module named 'pytest'" in missing, missing
    probe = "import importlib.util as u; print([m for m in {!r} if u.find_spec(m)])"
    code, found = shell.run(f'python -c "{probe.format(TEST_ONLY_PACKAGES)}"')
    assert (code, found.strip()) == (0, "[]"), found

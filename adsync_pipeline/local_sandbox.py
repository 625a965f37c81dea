"""The local Reddit sandbox of a demo setup, kept running as a background process.

The demo's settings point every command and Dagster run at one sandbox on a fixed loopback
port, its state in a file under the home. A process that needs it and finds nothing
answering starts it (under a file lock, so concurrent processes start one), detached, so it
outlives the command that started it; `adsync sandbox stop` ends it.
"""

from __future__ import annotations

import fcntl
import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from adsync_pipeline.config import ConfigError

STATE_FILE = "reddit-sandbox-state.json"
PID_FILE = "reddit-sandbox.pid"
LOG_FILE = "reddit-sandbox.log"
_LOCK_FILE = "reddit-sandbox.lock"
_START_TIMEOUT_S = 30.0
# A process asks at most this often whether the sandbox still answers.
_RECHECK_S = 5.0
_checked_at: dict[int, float] = {}

# Started through this launcher, which exits at once: the sandbox is then nobody's child,
# so a long-lived caller (the Dagster daemon, the API) never keeps a zombie of it.
_LAUNCHER = """
import subprocess, sys
log = open(sys.argv[1], "ab")
proc = subprocess.Popen(sys.argv[2:], stdin=subprocess.DEVNULL, stdout=log,
                        stderr=subprocess.STDOUT, start_new_session=True, close_fds=True)
print(proc.pid)
"""


def answers(port: int, timeout: float = 1.0) -> bool:
    """True when the Reddit sandbox answers on 127.0.0.1:`port`; ConfigError when another
    program holds the port."""
    try:
        with urllib.request.urlopen(
            f"http://127.0.0.1:{port}/_admin/config", timeout=timeout
        ) as reply:
            body = json.loads(reply.read() or b"null")
    except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
        return False
    except ValueError:
        body = None
    if not isinstance(body, dict):
        raise ConfigError(
            f"port {port} on 127.0.0.1 is taken by a program that is not the Reddit sandbox; "
            f"stop it, or change {port} in ADSYNC_REDDIT_* of the local configuration"
        )
    return True


def ensure_running(home: Path, port: int) -> None:
    """Start the sandbox of `home` on `port` unless it answers already."""
    now = time.monotonic()
    if now - _checked_at.get(port, -_RECHECK_S) < _RECHECK_S:
        return
    if not answers(port):
        with _locked(home / _LOCK_FILE):
            if not answers(port):
                _start(home, port)
    _checked_at[port] = time.monotonic()


def _start(home: Path, port: int) -> None:
    command = [
        sys.executable,
        "-m",
        "adsync_pipeline",
        "sandbox",
        "reddit",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--state-file",
        str(home / STATE_FILE),
    ]
    launched = subprocess.run(
        [sys.executable, "-c", _LAUNCHER, str(home / LOG_FILE), *command],
        capture_output=True,
        text=True,
        check=True,
    )
    pid = int(launched.stdout.strip())
    (home / PID_FILE).write_text(f"{pid}\n", encoding="utf-8")
    deadline = time.monotonic() + _START_TIMEOUT_S
    while not answers(port, timeout=0.5):
        if not _alive(pid) or time.monotonic() > deadline:
            raise ConfigError(
                f"the local Reddit sandbox did not start on port {port}: "
                f"{_last_line(home / LOG_FILE)} (its log: {home / LOG_FILE})"
            )
        time.sleep(0.1)


def _last_line(log: Path) -> str:
    """The log's last line: for a crash, the exception that stopped it."""
    try:
        lines = log.read_text(encoding="utf-8", errors="replace").strip().splitlines()
    except OSError:
        lines = []
    return lines[-1].strip() if lines else "it wrote nothing"


def running_pid(home: Path) -> int | None:
    """The pid of `home`'s background sandbox, if it is alive."""
    try:
        pid = int((home / PID_FILE).read_text(encoding="utf-8").strip())
    except (FileNotFoundError, ValueError):
        return None
    return pid if _alive(pid) and _is_sandbox(pid) else None


def stop(home: Path, timeout: float = 10.0) -> int | None:
    """Stop `home`'s background sandbox; its pid, or None when none was running."""
    pid = running_pid(home)
    if pid is None:
        (home / PID_FILE).unlink(missing_ok=True)
        return None
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while _alive(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    if _alive(pid):
        os.kill(pid, signal.SIGKILL)
    (home / PID_FILE).unlink(missing_ok=True)
    _checked_at.clear()
    return pid


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        # A zombie (exited, not yet reaped) no longer serves anything.
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True
    return stat.rsplit(")", 1)[-1].split()[0] != "Z"


def _is_sandbox(pid: int) -> bool:
    """Guards `stop` against a pid file whose pid was reused by another program."""
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return True
    return b"sandbox" in cmdline and b"reddit" in cmdline


@contextmanager
def _locked(path: Path) -> Iterator[None]:
    with open(path, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)

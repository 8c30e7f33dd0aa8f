"""What the scheduler test harnesses share: setup commands, ports, waiting, and stopping daemons by pid."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from collections.abc import Callable
from pathlib import Path


class SetupError(RuntimeError):
    """A test service could not be installed or started; the message says which step failed."""


def run(cmd: list[str], timeout: float = 60, env: dict[str, str] | None = None) -> str:
    """Run a setup command; its stdout, or :class:`SetupError` with its output."""
    try:
        p = subprocess.run(
            cmd, capture_output=True, text=True, timeout=timeout, env=env, check=False
        )
    except subprocess.TimeoutExpired as e:
        raise SetupError(f"{' '.join(cmd)} timed out after {timeout} s") from e
    if p.returncode != 0:
        raise SetupError(f"{' '.join(cmd)} failed ({p.returncode}): {p.stdout}{p.stderr}")
    return p.stdout


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def pid_alive(pid: int) -> bool:
    """True while ``pid`` runs (a zombie, which this machine's PID 1 never reaps, counts as gone)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def read_pid(path: Path) -> int | None:
    """The pid in a daemon's pid file, or None."""
    try:
        return int(path.read_text().strip())
    except (OSError, ValueError):
        return None


def stop_pid(pid: int, timeout: float = 20) -> None:
    """SIGTERM, wait up to ``timeout`` s, then SIGKILL."""
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + timeout
    while pid_alive(pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    if pid_alive(pid):
        os.kill(pid, signal.SIGKILL)


def log_tail(paths: list[Path], chars: int = 1500) -> str:
    """The last ``chars`` characters of each log in ``paths`` that exists, each under its path."""
    return "\n".join(
        f"{log}:\n{log.read_text(errors='replace')[-chars:]}" for log in paths if log.exists()
    )


def wait_for(
    ready: Callable[[], bool],
    timeout: float,
    what: str,
    logs: list[Path],
    pid_files: tuple[Path, ...] = (),
) -> None:
    """Poll ``ready`` until it is true, else :class:`SetupError` with the log tails.

    It gives up after ``timeout`` s, or at once when a daemon named in
    ``pid_files`` has written its pid and is no longer running.
    """
    deadline = time.monotonic() + timeout
    while not ready():
        dead = [
            f.name for f in pid_files if (pid := read_pid(f)) is not None and not pid_alive(pid)
        ]
        if dead:
            raise SetupError(
                f"{', '.join(dead)}: exited while waiting for {what}\n{log_tail(logs)}"
            )
        if time.monotonic() > deadline:
            raise SetupError(f"timed out after {timeout} s waiting for {what}\n{log_tail(logs)}")
        time.sleep(0.1)


def succeeds(cmd: list[str], env: dict[str, str] | None = None, timeout: float = 10) -> bool:
    """True when ``cmd`` exits 0 within ``timeout`` s (its output is discarded)."""
    try:
        p = subprocess.run(cmd, capture_output=True, env=env, timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        return False
    return p.returncode == 0

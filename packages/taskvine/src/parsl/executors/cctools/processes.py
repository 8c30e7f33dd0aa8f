"""Worker and factory processes the executor starts itself, each in its own session, stopped by pid."""

from __future__ import annotations

import logging
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Sequence

from parsl.executors.cctools.errors import CctoolsNotInstalled

__all__ = ["LocalProcess", "free_port", "interpreter_path", "require_program"]

logger = logging.getLogger(__name__)


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port free on ``host`` now (bound, read and released)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


def interpreter_path() -> str:
    """``PATH`` with this interpreter's directory first, so workers' ``python3`` is this one."""
    return os.pathsep.join([os.path.dirname(sys.executable), os.environ.get("PATH", "")])


def require_program(name: str) -> str:
    """The full path of cctools program ``name`` (looked up with :func:`interpreter_path`)."""
    found = shutil.which(name, path=interpreter_path())
    if found is None:
        raise CctoolsNotInstalled(
            f"{name!r} is not on PATH: install cctools (conda install -c conda-forge ndcctools)"
        )
    return found


class LocalProcess:
    """A program started in a new session; :meth:`stop` ends its whole process group."""

    def __init__(self, argv: Sequence[str], *, log_path: str, cwd: str | None = None) -> None:
        self.argv = list(argv)
        env = dict(os.environ, PATH=interpreter_path())
        with open(log_path, "ab") as log:
            self.proc = subprocess.Popen(
                self.argv,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                cwd=cwd,
                env=env,
                start_new_session=True,
            )
        self.pid = self.proc.pid
        self.log_path = log_path

    def alive(self) -> bool:
        return self.proc.poll() is None

    def stop(self, timeout: float = 5.0) -> None:
        """SIGTERM the process group, SIGKILL it after ``timeout``; reap the leader."""
        for sig in (signal.SIGTERM, signal.SIGKILL):
            try:
                os.killpg(self.pid, sig)
            except ProcessLookupError:
                break
            deadline = time.monotonic() + (timeout if sig == signal.SIGTERM else 2.0)
            while time.monotonic() < deadline:
                self.proc.poll()
                try:
                    os.killpg(self.pid, 0)
                except ProcessLookupError:
                    break
                time.sleep(0.05)
            else:
                continue
            break
        try:
            self.proc.wait(timeout=2)
        except subprocess.TimeoutExpired:  # pragma: no cover - SIGKILL was sent
            logger.error("process %d did not exit after SIGKILL", self.pid)

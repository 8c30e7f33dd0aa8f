"""Test helpers shared by the TaskVine and Work Queue test suites: real cctools workers on 127.0.0.1.

Nothing here imports pytest; a suite's conftest wraps :class:`Workers` in its own fixture.
"""

from __future__ import annotations

import os
from pathlib import Path
from types import TracebackType

import psutil

from parsl.executors.cctools.processes import LocalProcess, require_program

__all__ = ["Workers", "alive", "descendants", "prepend_pythonpath"]


class Workers:
    """Worker processes of one cctools program, each with its own workspace directory.

    ``program`` is the worker's name (``vine_worker``, ``work_queue_worker``); it is looked up
    at once, so a missing cctools fails here with :class:`~parsl.executors.cctools.errors.CctoolsNotInstalled`.
    Workspaces and logs (``worker<i>``, ``worker<i>.log``) go under ``tmp``; :meth:`stop`
    ends every worker started, by its process group.
    """

    def __init__(self, program: str, tmp: Path) -> None:
        self.program = require_program(program)
        self.tmp = tmp
        self.procs: list[LocalProcess] = []
        self.workdirs: list[Path] = []

    def start(self, port: int, n: int = 1, *extra: str) -> list[LocalProcess]:
        """Start ``n`` workers for the manager on 127.0.0.1:``port``, ``extra`` before the address."""
        started = []
        for _ in range(n):
            i = len(self.procs)
            workdir = self.tmp / f"worker{i}"
            workdir.mkdir()
            argv = [self.program, "--workdir", str(workdir), *extra, "127.0.0.1", str(port)]
            p = LocalProcess(argv, log_path=str(self.tmp / f"worker{i}.log"))
            self.procs.append(p)
            self.workdirs.append(workdir)
            started.append(p)
        return started

    def stop(self) -> None:
        """Stop every worker this object started (SIGTERM, then SIGKILL, to its process group)."""
        for p in self.procs:
            p.stop()

    def __enter__(self) -> Workers:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def descendants(pid: int) -> list[int]:
    """The pids of every process below ``pid`` (empty when ``pid`` is gone)."""
    try:
        return [c.pid for c in psutil.Process(pid).children(recursive=True)]
    except psutil.NoSuchProcess:
        return []


def alive(pid: int) -> bool:
    """True while ``pid`` exists and is not a zombie."""
    try:
        return bool(psutil.Process(pid).status() != psutil.STATUS_ZOMBIE)
    except psutil.NoSuchProcess:
        return False


def prepend_pythonpath(*dirs: str | Path) -> None:
    """Put ``dirs`` first on this process's ``PYTHONPATH``, which the workers it starts inherit.

    Workers unpickle a test's functions by module name, so the test's directory must be importable.
    """
    parts = [str(d) for d in dirs]
    if os.environ.get("PYTHONPATH"):
        parts.append(os.environ["PYTHONPATH"])
    os.environ["PYTHONPATH"] = os.pathsep.join(parts)

"""Real work_queue_worker processes on 127.0.0.1 for the Work Queue tests; every process is stopped by pid."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import psutil

from parsl.executors.cctools.processes import LocalProcess, free_port, require_program
from parsl.executors.workqueue import WorkQueueExecutor


class Workers:
    """work_queue_worker processes, each with its own workspace directory."""

    def __init__(self, tmp: Path) -> None:
        self.tmp = tmp
        self.procs: list[LocalProcess] = []
        self.workdirs: list[Path] = []

    def start(self, port: int, n: int = 1) -> list[LocalProcess]:
        started = []
        for _ in range(n):
            i = len(self.procs)
            workdir = self.tmp / f"worker{i}"
            workdir.mkdir()
            argv = [
                require_program("work_queue_worker"),
                "--workdir",
                str(workdir),
                "127.0.0.1",
                str(port),
            ]
            p = LocalProcess(argv, log_path=str(self.tmp / f"worker{i}.log"))
            self.procs.append(p)
            self.workdirs.append(workdir)
            started.append(p)
        return started

    def stop(self) -> None:
        for p in self.procs:
            p.stop()


def manual_executor(tmp_path: Path, **kwargs: Any) -> WorkQueueExecutor:
    kwargs.setdefault("port", free_port())
    ex = WorkQueueExecutor(provider=None, address="127.0.0.1", **kwargs)
    ex.run_dir = str(tmp_path / "runinfo")
    return ex


def descendants(pid: int) -> list[int]:
    try:
        return [c.pid for c in psutil.Process(pid).children(recursive=True)]
    except psutil.NoSuchProcess:
        return []


def alive(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


# Workers (and the blocks that start them) unpickle these tests' functions by module name.
os.environ["PYTHONPATH"] = os.pathsep.join(
    p for p in (str(Path(__file__).parent), os.environ.get("PYTHONPATH", "")) if p
)

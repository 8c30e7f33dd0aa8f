"""Real cctools workers on 127.0.0.1 for the TaskVine tests; every process is stopped by pid."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import psutil

from parsl.executors.cctools.processes import LocalProcess, free_port, require_program
from parsl.executors.taskvine import TaskVineExecutor, TaskVineManagerConfig


class Workers:
    """vine_worker processes, each with its own workspace directory."""

    def __init__(self, tmp: Path) -> None:
        self.tmp = tmp
        self.procs: list[LocalProcess] = []
        self.workdirs: list[Path] = []

    def start(self, port: int, n: int = 1, *extra: str) -> list[LocalProcess]:
        started = []
        for _ in range(n):
            workdir = self.tmp / f"worker{len(self.procs)}"
            workdir.mkdir()
            argv = [
                require_program("vine_worker"),
                "--workdir",
                str(workdir),
                *extra,
                "127.0.0.1",
                str(port),
            ]
            p = LocalProcess(argv, log_path=str(self.tmp / f"worker{len(self.procs)}.log"))
            self.procs.append(p)
            self.workdirs.append(workdir)
            started.append(p)
        return started

    def stop(self) -> None:
        for p in self.procs:
            p.stop()


def manual_executor(tmp_path: Path, **kwargs: Any) -> TaskVineExecutor:
    config = kwargs.pop("manager_config", None) or TaskVineManagerConfig(
        port=free_port(), address="127.0.0.1"
    )
    ex = TaskVineExecutor(worker_launch_method="manual", manager_config=config, **kwargs)
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


# Workers (and the blocks and factories that start them) unpickle these tests' functions by module name.
os.environ["PYTHONPATH"] = os.pathsep.join(
    p for p in (str(Path(__file__).parent), os.environ.get("PYTHONPATH", "")) if p
)

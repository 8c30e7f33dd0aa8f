"""Task functions for the HighThroughputExecutor tests, importable by worker processes."""

from __future__ import annotations

import os
import time
from typing import Any

from parsl.executors.high_throughput.manager_record import ManagerRecord
from parsl.executors.high_throughput.manager_selector import ManagerSelector


def add(a: int, b: int) -> int:
    return a + b


def identity(x: Any) -> Any:
    return x


def where(delay: float = 0.0) -> dict[str, Any]:
    """The worker's pid, its manager's pid, its CPU set and its Parsl environment (after ``delay`` s)."""
    time.sleep(delay)
    env = {k: v for k, v in os.environ.items() if k.startswith(("PARSL_", "CUDA_", "ROCR_", "ZE_"))}
    cpus = sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else []
    return {"pid": os.getpid(), "ppid": os.getppid(), "cpus": cpus, "env": env}


def fail(message: str) -> None:
    raise ValueError(message)


def sleep_then(seconds: float, value: Any = None) -> Any:
    time.sleep(seconds)
    return value


def write_pid_and_sleep(path: str, seconds: float) -> int:
    """Record the worker's pid (and its manager's) in ``path``, then sleep."""
    with open(path + ".tmp", "w") as f:
        f.write(f"{os.getpid()} {os.getppid()}")
    os.replace(path + ".tmp", path)
    time.sleep(seconds)
    return os.getpid()


def append_line(path: str, text: str) -> None:
    with open(path, "a") as f:
        f.write(text + "\n")


def unpicklable_result() -> Any:
    return (i for i in range(3))  # generators cannot be serialized


def kill_own_worker_once(marker: str) -> str:
    """SIGKILL this worker the first time (leaving ``marker``); succeed the next time."""
    import signal

    if not os.path.exists(marker):
        with open(marker, "w") as f:
            f.write(str(os.getpid()))
        os.kill(os.getpid(), signal.SIGKILL)
    return "second try"


def exit_once(marker: str, code: int | str) -> str:
    """``sys.exit(code)`` the first time (leaving ``marker`` with this worker's pid); succeed the next time."""
    import sys

    if not os.path.exists(marker):
        with open(marker, "w") as f:
            f.write(str(os.getpid()))
        sys.exit(code)
    return "second try"


def record_block_and_sleep(path: str, seconds: float) -> str:
    """Record the block this task runs in (``PARSL_WORKER_BLOCK_ID``) in ``path``, then sleep."""
    with open(path + ".tmp", "w") as f:
        f.write(os.environ["PARSL_WORKER_BLOCK_ID"])
    os.replace(path + ".tmp", path)  # a test reads it as soon as it exists
    time.sleep(seconds)
    return "done"


def run_buffer(buffer: bytes, tag: str, *, suffix: str = "") -> dict[str, Any]:
    """A ``task_executor`` function: what it was given, and the worker's pid."""
    return {"buffer": buffer, "tag": tag, "suffix": suffix, "pid": os.getpid()}


def refuse_buffer(buffer: bytes) -> None:
    """A ``task_executor`` function that fails."""
    raise ValueError(f"refused {buffer!r}")


def block_id() -> str:
    return os.environ.get("PARSL_WORKER_BLOCK_ID", "")


class OnlyBlockSelector(ManagerSelector):
    """A selector of a user's own: only managers of ``block`` get tasks (run in the interchange)."""

    def __init__(self, block: str) -> None:
        self.block = block

    def sort_managers(
        self, ready_managers: dict[bytes, ManagerRecord], manager_list: set[bytes]
    ) -> list[bytes]:
        return [m for m in manager_list if ready_managers[m].get("block_id") == self.block]

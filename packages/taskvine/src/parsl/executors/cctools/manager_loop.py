"""The manager process's loop, shared by Work Queue and TaskVine: tasks in, completions out.

The executor starts :func:`manager_main` in a process of its own (so the
C manager's polling never competes with the DataFlowKernel for the GIL). It
talks to it through two queues: :class:`~parsl.executors.cctools.taskfiles.TaskPackage`
objects (and ``None`` to stop) go in; ``("ready", port)``, ``("done",
Completion)`` and ``("fatal", message)`` come out. A :class:`ManagerBackend`
is the thin, system-specific part: it turns a package into a Work Queue or
TaskVine task and a finished task into a :class:`Completion`.
"""

from __future__ import annotations

import logging
import os
import pickle
import queue
import struct
import sys
import threading
import time
import traceback
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, BinaryIO

from parsl.executors.cctools.taskfiles import TaskPackage

__all__ = ["Completion", "FailureKind", "ManagerBackend", "manager_main"]

logger = logging.getLogger(__name__)

IDLE_POLL_S = 0.5
"""With no task in flight, how long the loop waits for the next task before it looks again."""
IDLE_WAIT_EVERY_S = 5.0
"""With no task in flight, how often the manager itself runs (workers connecting, keepalives)."""


class FailureKind:
    """How a task ended, in the manager's words (plain strings: they cross a process boundary)."""

    SUCCESS = "success"
    RESOURCE_EXHAUSTED = "resource_exhausted"
    WORKER_LOST = "worker_lost"
    OUTPUT_MISSING = "output_missing"
    FAILED = "failed"


@dataclass(frozen=True)
class Completion:
    """One task that the manager has finished with."""

    task_id: int
    kind: str
    """A :class:`FailureKind` value; ``success`` means the result file came back."""
    reason: str = ""
    worker: str | None = None
    exit_code: int | None = None
    resources: dict[str, float] = field(default_factory=dict)
    """What the manager measured: ``cores``, ``memory`` and ``disk`` (MB), ``wall_time`` (s)."""


class ManagerBackend(ABC):
    """The Work Queue or TaskVine manager, as the loop uses it."""

    port: int = 0

    @abstractmethod
    def submit(self, package: TaskPackage) -> None:
        """Hand one task to the manager."""

    @abstractmethod
    def wait(self, timeout: int) -> list[Completion]:
        """Drive the manager until a task finishes, for up to ``timeout`` seconds; return finished tasks.

        Both managers' shortest wait is one second (a ``0`` becomes ``1``),
        and they return early only when a task finishes: the loop calls this
        when tasks are in flight, and only now and then when none is.
        """

    @property
    @abstractmethod
    def idle(self) -> bool:
        """True when no submitted task is unfinished."""

    def close(self) -> None:  # noqa: B027 - optional
        """Cancel what is left and release the port."""


def write_frame(stream: BinaryIO, obj: Any) -> None:
    """Write one pickled object, length-prefixed, and flush."""
    data = pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL)
    stream.write(struct.pack("!Q", len(data)) + data)
    stream.flush()


def read_frame(stream: BinaryIO) -> Any:
    """Read one object written by :func:`write_frame`; raise EOFError at the end of the stream."""
    head = stream.read(8)
    if len(head) < 8:
        raise EOFError("the channel closed")
    (size,) = struct.unpack("!Q", head)
    data = stream.read(size)
    if len(data) < size:
        raise EOFError("the channel closed mid-frame")
    return pickle.loads(data)


class _Events:
    def __init__(self, stream: BinaryIO) -> None:
        self._stream = stream

    def put(self, event: tuple[str, Any]) -> None:
        write_frame(self._stream, event)


def _read_tasks(stream: BinaryIO, tasks: queue.Queue[TaskPackage | None]) -> None:
    try:
        while True:
            tasks.put(read_frame(stream))
    except (EOFError, OSError):
        tasks.put(None)  # the executor is gone, or closed our stdin: stop


def manager_main(
    make_backend: Callable[[Any], ManagerBackend],
    settings: Any,
    tasks: queue.Queue[TaskPackage | None],
    events: Any,
) -> None:
    """Run the manager until ``None`` arrives on ``tasks``."""
    try:
        backend = make_backend(settings)
    except Exception as e:
        events.put(("fatal", f"the manager could not start: {type(e).__name__}: {e}"))
        return
    events.put(("ready", backend.port))
    last_wait = 0.0
    try:
        while True:
            stop = False
            for _ in range(1000):  # then drive the manager, even while tasks keep coming
                try:
                    package = tasks.get(timeout=IDLE_POLL_S) if backend.idle else tasks.get_nowait()
                except queue.Empty:
                    break
                if package is None:
                    stop = True
                    break
                try:
                    backend.submit(package)
                except Exception as e:
                    events.put(
                        (
                            "done",
                            Completion(package.task_id, FailureKind.FAILED, f"submit failed: {e}"),
                        )
                    )
            if stop:
                break
            # A manager's wait blocks up to a second unless a task finishes, and a task that
            # arrives meanwhile waits with it: with nothing in flight, wait only now and then
            # (to take in workers), so that the next task starts at once.
            now = time.monotonic()
            if backend.idle and now - last_wait < IDLE_WAIT_EVERY_S:
                continue
            last_wait = now
            for completion in backend.wait(0):
                events.put(("done", completion))
    except Exception:
        events.put(("fatal", "the manager loop failed:\n" + traceback.format_exc()))
    finally:
        backend.close()


def main() -> int:
    """``python -m parsl.executors.cctools.manager_loop``: frames on stdin, events on stdout."""
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    channel = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)  # whatever the C library prints goes to the log, not into the channel
    stdin = sys.stdin.buffer
    events = _Events(channel)
    try:
        make_backend, settings = read_frame(stdin)
    except EOFError:
        return 1
    tasks: queue.Queue[TaskPackage | None] = queue.Queue()
    threading.Thread(target=_read_tasks, args=(stdin, tasks), daemon=True).start()
    manager_main(make_backend, settings, tasks, events)
    return 0


def measured(summary: Any) -> dict[str, float]:
    """The manager's measurement of a task (an rmsummary) as a plain dict."""
    out: dict[str, float] = {}
    if summary is None:
        return out
    for key in ("cores", "memory", "disk", "wall_time", "gpus"):
        value = getattr(summary, key, None)
        if isinstance(value, int | float) and value >= 0:
            out[key] = float(value)
    return out


def describe_limits(summary: Any) -> str:
    """``"memory (MB), disk (MB)"``: which limits an rmsummary of exceeded limits names."""
    names = [
        f"{key}"
        for key in ("memory", "disk", "cores", "wall_time", "gpus")
        if isinstance(getattr(summary, key, None), int | float) and getattr(summary, key) > 0
    ]
    return ", ".join(names)


_RESOURCE = (
    "RESOURCE_EXHAUSTION",
    "MAX_WALL_TIME",
    "TASK_MAX_RUN_TIME",
    "DISK_ALLOC_FULL",
    "SANDBOX_EXHAUSTION",
    "MAX_END_TIME",
    "TASK_TIMEOUT",
)
_LOST = ("FORSAKEN", "MAX_RETRIES", "LIBRARY_EXIT")
_OUTPUT = ("OUTPUT_MISSING", "STDOUT_MISSING", "OUTPUT_TRANSFER_ERROR")


def workers_that_ran(transactions_log: str, task_id: int) -> list[str]:
    """The workers (``host:port``) a manager's transactions log shows running ``task_id``, in order."""
    found: list[str] = []
    marker = f" TASK {task_id} RUNNING "
    try:
        with open(transactions_log, errors="replace") as log:
            for line in log:
                if marker in line:
                    worker = line.split(marker, 1)[1].split()[0]
                    found.append(worker)
    except OSError:
        pass
    return found


def workers_disconnected(transactions_log: str) -> set[str]:
    """The workers (``host:port``) a manager's transactions log shows disconnecting so far."""
    found: set[str] = set()
    try:
        with open(transactions_log, errors="replace") as log:
            for line in log:
                parts = line.split()
                # time pid WORKER worker_id host:port DISCONNECTION reason
                if len(parts) >= 6 and parts[2] == "WORKER" and parts[5] == "DISCONNECTION":
                    found.add(parts[4])
    except OSError:
        pass
    return found


def classify_result(name: str) -> str:
    """The :class:`FailureKind` of a manager result code's name (``RESOURCE_EXHAUSTION``, ...)."""
    if name == "SUCCESS":
        return FailureKind.SUCCESS
    if name in _RESOURCE:
        return FailureKind.RESOURCE_EXHAUSTED
    if name in _LOST:
        return FailureKind.WORKER_LOST
    if name in _OUTPUT:
        return FailureKind.OUTPUT_MISSING
    return FailureKind.FAILED


def result_names(module: Any, prefix: str) -> dict[int, str]:
    """``{code: NAME}`` for the constants ``<prefix>NAME`` of a cctools module."""
    return {
        value: name[len(prefix) :]
        for name, value in vars(module).items()
        if name.startswith(prefix) and isinstance(value, int)
    }


if __name__ == "__main__":
    # Run the module under its own name, so that what we pickle (Completion) unpickles as
    # parsl.executors.cctools.manager_loop.Completion on the executor's side, not __main__'s.
    from parsl.executors.cctools import manager_loop

    sys.exit(manager_loop.main())

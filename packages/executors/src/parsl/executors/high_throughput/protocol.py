"""The HighThroughputExecutor's versioned wire protocol, as plain data.

Every message that crosses a process boundary (executor <-> interchange <->
manager) is one of the frozen dataclasses below. ``msg.encode()`` turns it
into one byte frame and :func:`decode` turns a frame back into a message,
raising :class:`~parsl.executors.high_throughput.errors.MalformedMessage` or
:class:`~parsl.executors.high_throughput.errors.ProtocolVersionMismatch`
for anything else (the frame layout and codec: :mod:`.frames`). No sockets
here: the I/O shell moves the bytes.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

from parsl.executors.high_throughput.errors import MalformedMessage
from parsl.executors.high_throughput.frames import (
    MAGIC,
    PREFIX,
    Message,
    decode,
    message_kind,
    message_kinds,
    non_negative,
)
from parsl.executors.high_throughput.message_fields import short_repr
from parsl.executors.high_throughput.versions import (
    PROTOCOL_VERSION,
    check_compatible,
    installed_packages,
    local_versions,
)

__all__ = [
    "LOST_ERRORS",
    "MAGIC",
    "PROTOCOL_VERSION",
    "Accepted",
    "Command",
    "Drain",
    "Drained",
    "Heartbeat",
    "ManagerRefused",
    "Message",
    "Monitoring",
    "Reclaim",
    "Reclaimed",
    "Register",
    "Rejected",
    "Reply",
    "Result",
    "Shutdown",
    "Task",
    "TaskFailed",
    "TaskLost",
    "WorkerReady",
    "check_compatible",
    "decode",
    "local_versions",
    "message_kinds",
]


@message_kind("REGISTER")
@dataclass(frozen=True, kw_only=True)
class Register(Message):
    """Manager -> interchange: a new manager announces itself, its capacity and its versions."""

    manager_id: str
    block_id: str | None
    hostname: str
    worker_count: int
    prefetch_capacity: int
    protocol_version: int
    python_version: str
    package_version: str
    kernel_version: str
    cpu_count: int = 0
    """CPUs of the manager's node (for monitoring's ``node`` table); 0 if unknown."""
    total_memory: int = 0
    """Bytes of memory of the manager's node; 0 if unknown."""
    lookahead: int = 0
    """Tasks it will hold beyond ``worker_count + prefetch_capacity`` and give back on RECLAIM."""
    packages: dict[str, Any] = field(default_factory=dict)
    """Distributions installed where the manager runs: canonical name -> version."""

    def _check_values(self) -> None:
        non_negative(
            self, "worker_count", "prefetch_capacity", "cpu_count", "total_memory", "lookahead"
        )
        parts = self.python_version.split(".")
        if not (2 <= len(parts) <= 3 and all(p.isdigit() for p in parts)):
            raise MalformedMessage(
                "REGISTER.python_version must look like '3.11.7' (or '3.11'), "
                f"got {self.python_version!r}"
            )

    @classmethod
    def for_this_process(
        cls,
        *,
        manager_id: str,
        block_id: str | None,
        hostname: str,
        worker_count: int,
        prefetch_capacity: int,
        lookahead: int = 0,
    ) -> Register:
        """A registration carrying this process's protocol, Python and package versions."""
        return cls(
            manager_id=manager_id,
            block_id=block_id,
            hostname=hostname,
            worker_count=worker_count,
            prefetch_capacity=prefetch_capacity,
            lookahead=lookahead,
            cpu_count=os.cpu_count() or 0,
            total_memory=_total_memory(),
            packages=installed_packages(),
            **local_versions(),
        )


def _total_memory() -> int:
    try:
        return int(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES"))
    except (ValueError, OSError, AttributeError):  # pragma: no cover - not POSIX
        return 0


@message_kind("ACCEPTED")
@dataclass(frozen=True, kw_only=True)
class Accepted(Message):
    """Interchange -> manager: the registration was accepted; tasks may follow."""

    manager_id: str


@message_kind("REJECTED")
@dataclass(frozen=True, kw_only=True)
class Rejected(Message):
    """Interchange -> manager: the registration (or the manager) is refused; the manager must exit."""

    manager_id: str
    reason: str


@message_kind("HEARTBEAT")
@dataclass(frozen=True, kw_only=True)
class Heartbeat(Message):
    """Either direction: the sender is alive."""

    manager_id: str


@message_kind("TASK")
@dataclass(frozen=True, kw_only=True)
class Task(Message):
    """A task to run: executor -> interchange -> manager. ``priority``: lower runs first, None last."""

    task_id: int
    priority: int | float | None
    resource_spec: dict[str, Any]
    payload: bytes

    def _check_values(self) -> None:
        non_negative(self, "task_id")


@message_kind("RESULT")
@dataclass(frozen=True, kw_only=True)
class Result(Message):
    """A task's serialized result or exception: manager -> interchange -> executor."""

    task_id: int
    payload: bytes

    def _check_values(self) -> None:
        non_negative(self, "task_id")


@message_kind("TASK_LOST")
@dataclass(frozen=True, kw_only=True)
class TaskLost(Message):
    """Manager -> interchange: the worker running ``task_id`` died without a result."""

    task_id: int
    reason: str

    def _check_values(self) -> None:
        non_negative(self, "task_id")


@message_kind("RECLAIM")
@dataclass(frozen=True, kw_only=True)
class Reclaim(Message):
    """Interchange -> manager: give back up to ``count`` tasks you hold and have not started."""

    count: int

    def _check_values(self) -> None:
        non_negative(self, "count")


@message_kind("RECLAIMED")
@dataclass(frozen=True, kw_only=True)
class Reclaimed(Message):
    """Manager -> interchange: the answer to RECLAIM, after the TASK frames it gives back.

    ``task_ids`` lists the tasks given back (maybe none), in the order they arrived.
    """

    manager_id: str
    task_ids: list[int]

    def _check_values(self) -> None:
        if not all(type(t) is int and t >= 0 for t in self.task_ids):
            raise MalformedMessage(
                f"RECLAIMED.task_ids must be ints >= 0, got {short_repr(self.task_ids)}"
            )


@message_kind("DRAIN")
@dataclass(frozen=True, kw_only=True)
class Drain(Message):
    """Either direction: the manager takes no new tasks and finishes the ones it has."""

    manager_id: str


@message_kind("DRAINED")
@dataclass(frozen=True, kw_only=True)
class Drained(Message):
    """Interchange -> manager: the draining manager is idle and may exit."""

    manager_id: str


@message_kind("SHUTDOWN")
@dataclass(frozen=True, kw_only=True)
class Shutdown(Message):
    """Executor -> interchange, interchange -> manager: stop now; ``reason`` says why."""

    reason: str


@message_kind("WORKER_READY")
@dataclass(frozen=True, kw_only=True)
class WorkerReady(Message):
    """Worker -> manager: the worker process is connected and waits for tasks."""

    worker_id: str
    pid: int


@message_kind("MONITORING")
@dataclass(frozen=True, kw_only=True)
class Monitoring(Message):
    """Worker -> manager -> interchange -> executor, or interchange -> executor: monitoring messages.

    ``payload`` is one batch in :mod:`parsl.monitoring.radios.wire`'s format;
    nothing on the way decodes it, only the executor does.
    """

    payload: bytes


MONITORING_PREFIX = b'{"kind":"MONITORING"'
"""How a MONITORING frame's header starts (after the fixed prefix): a cheap test without decoding."""

_MONITORING_HEADER = b'{"kind":"MONITORING"}'
MONITORING_HEAD = PREFIX.pack(MAGIC, PROTOCOL_VERSION, len(_MONITORING_HEADER)) + _MONITORING_HEADER
"""The exact bytes before the payload of every MONITORING frame of this protocol version."""


def is_monitoring(frame: bytes) -> bool:
    """True if ``frame`` is a MONITORING message (checked without decoding it)."""
    return frame.startswith(MONITORING_PREFIX, PREFIX.size)


LOST_ERRORS = ("WorkerLost", "ManagerLost")
"""The ``error`` values of :class:`TaskFailed`: names of classes in :mod:`.errors`."""


@message_kind("TASK_FAILED")
@dataclass(frozen=True, kw_only=True)
class TaskFailed(Message):
    """Interchange -> executor: the task failed outside user code; ``error`` names the exception."""

    task_id: int
    error: str
    manager_id: str
    reason: str
    hostname: str = ""
    """The manager's host, "" if unknown."""

    def _check_values(self) -> None:
        non_negative(self, "task_id")
        if self.error not in LOST_ERRORS:
            raise MalformedMessage(
                f"TASK_FAILED.error must be one of {list(LOST_ERRORS)}, got {short_repr(self.error)}"
            )


@message_kind("MANAGER_REFUSED")
@dataclass(frozen=True, kw_only=True)
class ManagerRefused(Message):
    """Interchange -> executor: a manager was refused because its versions differ from ours.

    ``mismatches`` maps each disagreeing component to ``[remote, local]``.
    """

    manager_id: str
    hostname: str
    mismatches: dict[str, Any]


@message_kind("COMMAND")
@dataclass(frozen=True, kw_only=True)
class Command(Message):
    """Executor -> interchange: a request, answered by a REPLY with the same ``request_id``."""

    request_id: int
    op: str
    args: dict[str, Any]


@message_kind("REPLY")
@dataclass(frozen=True, kw_only=True)
class Reply(Message):
    """Interchange -> executor: the answer to the COMMAND with ``request_id``; ``error`` if it failed."""

    request_id: int
    result: dict[str, Any]
    error: str | None

"""The instructions :class:`~parsl.executors.high_throughput.dispatch.TaskDispatch` returns.

Each is plain data for the interchange's I/O shell to carry out.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from parsl.executors.high_throughput.errors import ManagerLost, WorkerLost


@dataclass(frozen=True)
class SendTask:
    """Send task ``task_id`` to manager ``manager_id``."""

    manager_id: str
    task_id: int
    resource_spec: Mapping[str, Any]


@dataclass(frozen=True)
class FailTask:
    """Fail task ``task_id`` with the exception ``reason`` (a fresh instance per task)."""

    task_id: int
    reason: ManagerLost | WorkerLost


@dataclass(frozen=True)
class DrainedManager:
    """The draining manager is idle and no longer tracked; tell it to exit."""

    manager_id: str


@dataclass(frozen=True)
class ManagerRemoved:
    """The manager is lost and no longer tracked; its tasks follow as FailTask instructions."""

    manager_id: str
    reason: str


@dataclass(frozen=True)
class RejectManager:
    """Refuse a manager that may not take part (duplicate or stale id, cancelled block)."""

    manager_id: str
    reason: str


@dataclass(frozen=True)
class ReclaimTasks:
    """Ask manager ``manager_id`` to give back up to ``count`` tasks it has not started."""

    manager_id: str
    count: int


Instruction = SendTask | FailTask | DrainedManager | ManagerRemoved | RejectManager | ReclaimTasks

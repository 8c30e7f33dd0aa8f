"""The monitoring-sink plugin interface: where the kernel reports every task state transition."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass

from parsl.dataflow.states import States


@dataclass(frozen=True, slots=True)
class TaskTransition:
    """One task entering one state."""

    run_id: str
    task_id: int
    try_id: int
    state: States
    timestamp: float
    func_name: str
    executor: str | None
    fail_reason: str | None = None


class MonitoringSink(ABC):
    """Receives the DataFlowKernel's events.

    ``task_transition`` is called on the thread that changed the task's
    state, for every transition, so it must be quick and must not block: a
    sink that writes to disk or the network queues the event and does the
    I/O elsewhere. ``close`` must finish in bounded time.
    """

    def start(self, run_id: str, run_dir: str) -> None:  # noqa: B027 - optional hook
        """Called once by ``parsl.load()`` before any task runs."""

    @abstractmethod
    def task_transition(self, event: TaskTransition) -> None:
        """Record one transition."""

    def workflow_end(self, run_id: str, tasks_completed: int, tasks_failed: int) -> None:  # noqa: B027
        """Called once at cleanup, before :meth:`close`."""

    @abstractmethod
    def close(self) -> None:
        """Flush and release everything."""

"""The monitoring-sink plugin interface: where the kernel reports every task state transition."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass

from parsl.dataflow.states import States
from parsl.logconfigs.base import LogConfig
from parsl.monitoring.types import TaggedMonitoringMessage


@dataclass(slots=True)
class TaskTransition:
    """One task entering one state.

    Treat it as read-only: the kernel makes one per transition and sinks may
    keep it. (Not ``frozen``: a frozen dataclass sets each of these fields
    through ``object.__setattr__``, which made building one, three or more
    times per task, cost several times more.)
    """

    run_id: str
    task_id: int
    try_id: int
    state: States
    timestamp: float
    func_name: str
    executor: str | None
    fail_reason: str | None = None
    # Facts about the task, for the ``task`` and ``try`` tables. The kernel
    # fills them on every transition (they are cheap references); a sink
    # writes what it needs. Times are Unix timestamps.
    time_invoked: float | None = None
    time_returned: float | None = None
    fail_count: int = 0
    fail_cost: float = 0.0
    depends: tuple[int, ...] = ()
    """Ids of the app futures this task waited on."""
    memoize: bool = False
    hashsum: str | None = None
    inputs: tuple[str, ...] = ()
    """``str()`` of each ``File`` in ``inputs=``."""
    outputs: tuple[str, ...] = ()
    stdin: str | None = None
    stdout: str | None = None
    stderr: str | None = None
    joins: tuple[int, ...] = ()
    """For a join app: ids of the app futures it joined."""
    fail_history: tuple[str, ...] = ()
    """One ``"Type: message"`` line per failed try so far."""
    try_time_launched: float | None = None
    """When this try was handed to its executor."""
    task_inputs: str | None = None
    """``str()`` of the ``inputs=`` list, its futures replaced by their results once resolved
    (Parsl's ``task.task_inputs``); None without ``inputs=``."""
    task_outputs: str | None = None
    """``str()`` of the ``outputs=`` list (Parsl's ``task.task_outputs``); None without one."""


class MonitoringSink(ABC):
    """Receives the DataFlowKernel's events.

    ``task_transition`` is called on the thread that changed the task's
    state, for every transition, so it must be quick and must not block: a
    sink that writes to disk or the network queues the event and does the
    I/O elsewhere. ``close`` must finish in bounded time.

    A sink whose ``capture_file_provenance`` is True is also sent the files
    each task reads and writes and each executor's environment (see
    :mod:`parsl.dataflow.provenance`).
    """

    capture_file_provenance: bool = False
    log_config: LogConfig | None = None
    """The run's ``Config(initialize_logging=LogConfig)``, set by ``parsl.load()`` before
    ``start`` (None otherwise), for a sink that logs from processes of its own."""

    def start(self, run_id: str, run_dir: str) -> None:  # noqa: B027 - optional hook
        """Called once by ``parsl.load()`` before any task runs."""

    @abstractmethod
    def task_transition(self, event: TaskTransition) -> None:
        """Record one transition."""

    def send(self, message: TaggedMonitoringMessage) -> None:  # noqa: B027 - optional hook
        """Record one message from an executor or a worker (see :mod:`parsl.monitoring.types`).

        Called from executor threads; like ``task_transition`` it must queue and return.
        """

    def workflow_end(self, run_id: str, tasks_completed: int, tasks_failed: int) -> None:  # noqa: B027
        """Called once at cleanup, before :meth:`close`."""

    @abstractmethod
    def close(self) -> None:
        """Flush and release everything."""

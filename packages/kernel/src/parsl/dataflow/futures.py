"""AppFuture: the future an app call returns."""

from __future__ import annotations

from concurrent.futures import Future
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from parsl.app.futures import DataFuture
    from parsl.dataflow.taskrecord import TaskRecord


class AppFuture(Future[Any]):
    """A :class:`concurrent.futures.Future` for one app call.

    It completes with the app's return value (0 for a bash app), or with the
    exception that ended the task. ``outputs`` holds one
    :class:`~parsl.app.futures.DataFuture` per file in the call's
    ``outputs=[...]``.
    """

    def __init__(self, task_record: TaskRecord) -> None:
        super().__init__()
        self.task_record = task_record
        self._outputs: list[DataFuture] = []
        self._stdout: Any = None
        self._stderr: Any = None

    @property
    def tid(self) -> int:
        """The task's id, unique within its DataFlowKernel."""
        return self.task_record.id

    @property
    def outputs(self) -> list[DataFuture]:
        """One DataFuture per output file."""
        return self._outputs

    @property
    def stdout(self) -> Any:
        """Where the task's stdout goes (a path, a (path, mode) tuple, or None)."""
        return self._stdout

    @property
    def stderr(self) -> Any:
        """Where the task's stderr goes (a path, a (path, mode) tuple, or None)."""
        return self._stderr

    def task_status(self) -> str:
        """The task's current state name, e.g. ``'pending'``, ``'exec_done'``."""
        return self.task_record.status.name

    def cancel(self) -> bool:
        """Parsl tasks cannot be cancelled once submitted; always False."""
        return False

    def __repr__(self) -> str:
        return f"<AppFuture task {self.tid} {self.task_record.func_name} {self._state.lower()}>"

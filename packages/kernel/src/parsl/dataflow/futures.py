"""AppFuture: the future an app call returns."""

from __future__ import annotations

import threading
from concurrent.futures import Future
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from parsl.app.futures import DataFuture
    from parsl.dataflow.taskrecord import TaskRecord


_NO_OUTPUTS: list[DataFuture] = []  # shared; never mutated (outputs returns a copy)


class LeanCondition:
    """A condition variable for one future, a tenth the size of :class:`threading.Condition`.

    ``threading.Condition`` allocates a deque and six bound methods up front
    (about 1.3 KB); a finished future never needs them. This one holds a lock
    and creates its waiter list only when somebody actually waits. It
    implements exactly what :class:`concurrent.futures.Future` and
    :func:`concurrent.futures.wait` use: acquire/release, the context manager,
    ``wait``, ``notify`` and ``notify_all``. Not re-entrant (Future never
    re-enters its condition).
    """

    __slots__ = ("_lock", "_waiters")

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._waiters: list[threading.Lock] | None = None

    def acquire(self, blocking: bool = True, timeout: float = -1) -> bool:
        return self._lock.acquire(blocking, timeout)

    def release(self) -> None:
        self._lock.release()

    def __enter__(self) -> bool:
        return self._lock.acquire()

    def __exit__(self, *exc: object) -> None:
        self._lock.release()

    def wait(self, timeout: float | None = None) -> bool:
        """Release the lock, wait for a notify (or the timeout), take the lock again."""
        waiter = threading.Lock()
        waiter.acquire()
        if self._waiters is None:
            self._waiters = []
        self._waiters.append(waiter)
        self._lock.release()
        got = False
        try:
            if timeout is None:
                got = waiter.acquire()
            elif timeout > 0:
                got = waiter.acquire(True, timeout)
            else:
                got = waiter.acquire(False)
            return got
        finally:
            self._lock.acquire()
            if not got and self._waiters is not None and waiter in self._waiters:
                self._waiters.remove(waiter)

    def notify(self, n: int = 1) -> None:
        waiters = self._waiters
        if not waiters:
            return
        for waiter in waiters[:n]:
            waiter.release()
        del waiters[:n]

    def notify_all(self) -> None:
        waiters, self._waiters = self._waiters, None
        for waiter in waiters or ():
            waiter.release()


class AppFuture(Future[Any]):
    """A :class:`concurrent.futures.Future` for one app call.

    It completes with the app's return value (0 for a bash app), or with the
    exception that ended the task. ``outputs`` holds one
    :class:`~parsl.app.futures.DataFuture` per file in the call's
    ``outputs=[...]``.
    """

    def __init__(self, task_record: TaskRecord) -> None:
        super().__init__()
        self._condition = LeanCondition()  # type: ignore[assignment]
        self.task_record = task_record
        self._outputs: list[DataFuture] = _NO_OUTPUTS
        self._stdout: Any = None
        self._stderr: Any = None

    @property
    def tid(self) -> int:
        """The task's id, unique within its DataFlowKernel."""
        return self.task_record.id

    @property
    def outputs(self) -> list[DataFuture]:
        """One DataFuture per output file."""
        return list(self._outputs)

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

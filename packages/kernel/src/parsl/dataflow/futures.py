"""AppFuture: the future an app call returns."""

from __future__ import annotations

import builtins
import copy
import operator
import reprlib
import threading
from collections.abc import Callable
from concurrent.futures import Future
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from parsl.app.app import AppBase
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

    ``fut[key]`` and ``fut.name`` (for a public name that is not one of the
    future's own) return a new AppFuture for ``fut.result()[key]`` or
    ``getattr(fut.result(), name)``, computed as a task on the
    DataFlowKernel's internal thread pool once ``fut`` completes; a failed
    lookup (``KeyError``, ``AttributeError``, ...) becomes that future's
    exception. Names starting with ``_`` are never turned into tasks, so
    copying, pickling and dunder probes behave as for any object. An
    AppFuture is not iterable: ``for x in fut`` raises TypeError rather
    than submitting a lookup per index forever.
    """

    # Defining __getitem__ would make iter() fall back to fut[0], fut[1], ... without end.
    __iter__ = None

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

    def __getitem__(self, key: Any) -> AppFuture:
        """A new AppFuture for ``self.result()[key]``, looked up by a task once this one completes."""
        return _dependent_task(self, operator.getitem, key, f"[{reprlib.repr(key)}]")

    def __getattr__(self, name: str) -> AppFuture:
        """A new AppFuture for ``getattr(self.result(), name)``; only for public names the future lacks.

        Python calls this only when normal lookup fails. Private and dunder
        names, AppFuture's own names (e.g. a property whose body raised
        AttributeError) and a future not yet fully built (during ``copy``)
        raise AttributeError as usual.
        """
        if name.startswith("_") or hasattr(type(self), name) or "task_record" not in vars(self):
            raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")
        return _dependent_task(self, builtins.getattr, name, f".{name}")

    def __repr__(self) -> str:
        return f"<AppFuture task {self.tid} {self.task_record.func_name} {self._state.lower()}>"


def _dependent_task(
    parent: AppFuture, lookup: Callable[[Any, Any], Any], key: Any, shown: str
) -> AppFuture:
    """Submit ``lookup(parent.result(), key)`` as a task on the internal executor."""
    from parsl.app.python import PythonApp
    from parsl.dataflow.dflow import INTERNAL, DataFlowKernelLoader
    from parsl.errors import NoDataFlowKernelError

    # The parent's own DataFlowKernel when its app named one, so chains stay on it.
    dfk = getattr(parent.task_record.func, "data_flow_kernel", None)
    if dfk is None:
        try:
            dfk = DataFlowKernelLoader.dfk()
        except NoDataFlowKernelError:
            raise NoDataFlowKernelError(
                f"fut{shown} on task {parent.tid} runs the lookup as a new task, which needs a "
                "loaded DataFlowKernel: call parsl.load(config) first"
            ) from None
    prototype = _LOOKUP_APPS.get(lookup)
    if prototype is None:  # built once: inspecting a builtin's signature is slow
        prototype = _LOOKUP_APPS.setdefault(lookup, PythonApp(lookup, None, [INTERNAL]))
    app = copy.copy(prototype)
    app.data_flow_kernel = dfk
    return dfk.submit(app, (parent, key), {})


_LOOKUP_APPS: dict[Callable[[Any, Any], Any], AppBase] = {}

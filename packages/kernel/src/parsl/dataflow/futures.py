"""AppFuture: the future an app call returns."""

from __future__ import annotations

import builtins
import copy
import operator
import reprlib
from collections.abc import Callable
from concurrent.futures import Future

# The future states, where Parsl's modules import them from (concurrent.futures' own names).
from concurrent.futures._base import (  # noqa: F401
    CANCELLED,
    CANCELLED_AND_NOTIFIED,
    FINISHED,
    PENDING,
    RUNNING,
)
from typing import TYPE_CHECKING, Any

from parsl.dataflow.lean_future import make_lean

if TYPE_CHECKING:
    from parsl.app.app import AppBase
    from parsl.app.futures import DataFuture
    from parsl.dataflow.taskrecord import TaskRecord


_NO_OUTPUTS: list[DataFuture] = []  # shared; never mutated (outputs returns a copy)


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
        make_lean(self)  # one future per task: ~1.3 KB less each
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
        """Where the task's stdout goes: a path, a (path, mode) tuple, None, or for a File
        the DataFuture of its stage-out."""
        return self._stdout

    @property
    def stderr(self) -> Any:
        """Where the task's stderr goes: a path, a (path, mode) tuple, None, or for a File
        the DataFuture of its stage-out."""
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
        prototype = _LOOKUP_APPS.setdefault(lookup, PythonApp(lookup, None, executors=[INTERNAL]))
    app = copy.copy(prototype)
    app.data_flow_kernel = dfk
    return dfk.submit(app, (parent, key), {})


_LOOKUP_APPS: dict[Callable[[Any, Any], Any], AppBase] = {}

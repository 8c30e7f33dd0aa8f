"""Everything the DataFlowKernel knows about one task."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from typing import TYPE_CHECKING, Any

from parsl.dataflow.states import States

if TYPE_CHECKING:
    from parsl.dataflow.futures import AppFuture


_LOCKS = [threading.Lock() for _ in range(64)]
_EMPTY: list[Any] = []  # shared placeholder, replaced (never appended to) when a task needs a list


class MonitorFacts:
    """What only monitoring needs to remember about a task (absent when monitoring is off)."""

    __slots__ = ("depend_ids", "try_time_launched")

    def __init__(self, depend_ids: tuple[int, ...]) -> None:
        self.depend_ids = depend_ids
        """Ids of the app futures the task waited on (``depends`` is dropped at launch)."""
        self.try_time_launched: float | None = None
        """When the current try was handed to its executor."""


class TaskRecord:
    """One task: its call, its state and its history. Slotted to keep finished tasks small."""

    __slots__ = (
        "__weakref__",
        "app_fu",
        "args",
        "depends",
        "exec_fu",
        "executor",
        "facts",
        "fail_cost",
        "fail_count",
        "fail_history",
        "from_memo",
        "func",
        "func_name",
        "hashsum",
        "id",
        "ignore_for_cache",
        "joins",
        "kind",
        "kwargs",
        "memoize",
        "resource_specification",
        "staging",
        "status",
        "time_invoked",
        "time_returned",
        "try_id",
    )

    def __init__(
        self,
        *,
        id: int,
        func: Callable[..., Any],
        func_name: str,
        args: Sequence[Any],
        kwargs: dict[str, Any],
        executor: str,
        kind: str,
        memoize: bool,
        ignore_for_cache: Sequence[str],
        resource_specification: dict[str, Any],
        time_invoked: float,
    ) -> None:
        self.id = id
        self.func = func
        self.func_name = func_name
        self.args: tuple[Any, ...] = tuple(args)
        self.kwargs = kwargs
        self.executor = executor
        self.kind = kind  # "python", "bash" or "join"
        self.memoize = memoize
        self.ignore_for_cache = ignore_for_cache
        self.resource_specification = resource_specification
        self.time_invoked = time_invoked
        self.time_returned: float | None = None
        self.status = States.unsched
        self.depends: list[Future[Any]] = _EMPTY
        self.app_fu: AppFuture | None = None
        self.exec_fu: Future[Any] | None = None
        self.fail_count = 0
        self.fail_cost = 0.0
        self.fail_history: list[BaseException] = []  # appended to on each failed try
        self.facts: MonitorFacts | None = None  # only while a monitoring sink is configured
        self.from_memo = False
        self.hashsum: str | None = None
        self.joins: Future[Any] | list[Future[Any]] | None = None
        self.try_id = 0
        self.staging: list[tuple[Any, Any, str]] = _EMPTY  # (provider, File, "in"|"out")

    @property
    def lock(self) -> threading.Lock:
        """A lock for this task's state; striped over a small pool to keep records small."""
        return _LOCKS[self.id & (len(_LOCKS) - 1)]

    def __repr__(self) -> str:
        return f"<TaskRecord {self.id} {self.func_name} {self.status.name}>"

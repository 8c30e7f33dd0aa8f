"""Everything the DataFlowKernel knows about one task."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import Future
from typing import TYPE_CHECKING, Any

from parsl.dataflow.states import States

if TYPE_CHECKING:
    from parsl.dataflow.futures import AppFuture


_LOCKS = [threading.Lock() for _ in range(64)]
_EMPTY: list[Any] = []  # shared placeholder, replaced (never appended to) when a task needs a list


class MonitorFacts:
    """What only monitoring needs to remember about a task (absent when monitoring is off)."""

    __slots__ = ("depend_ids", "kwargs_seen", "lists", "try_time_launched")

    def __init__(self, depend_ids: tuple[int, ...]) -> None:
        self.depend_ids = depend_ids
        """Ids of the app futures the task waited on (``depends`` is dropped at launch)."""
        self.try_time_launched: float | None = None
        """When the current try was handed to its executor."""
        self.kwargs_seen: object = None
        """The ``kwargs`` dict :attr:`lists` was made from (resolution makes a new one)."""
        self.lists: tuple[tuple[str, ...], tuple[str, ...], str | None, str | None] = (
            (),
            (),
            None,
            None,
        )
        """The File names in ``inputs=`` and ``outputs=``, then ``str()`` of each list (None
        where absent)."""


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

    # ------------------------------------------------ Parsl's dict view of a task
    # Parsl's task records are dicts; scripts, retry handlers and plugins read
    # ``dfk.tasks[tid]['status']``. The record stays slotted (cheap per task)
    # and answers the same keys on demand.

    def __getitem__(self, key: str) -> Any:
        getter = _KEYS.get(key)
        if getter is None:
            raise KeyError(key)
        return getter(self)

    def __setitem__(self, key: str, value: Any) -> None:
        if key not in _WRITABLE:
            raise KeyError(f"task record key {key!r} cannot be set")
        setattr(self, key, value)

    def __contains__(self, key: object) -> bool:
        return key in _KEYS

    def __iter__(self) -> Iterator[str]:
        return iter(_KEYS)

    def __len__(self) -> int:
        return len(_KEYS)

    def keys(self) -> Iterator[str]:
        """Parsl's task record keys."""
        return iter(_KEYS)

    def get(self, key: str, default: Any = None) -> Any:
        """``record[key]``, or ``default`` for a key Parsl's records do not have."""
        getter = _KEYS.get(key)
        return default if getter is None else getter(self)

    def items(self) -> Iterator[tuple[str, Any]]:
        """``(key, value)`` for every key."""
        return ((k, g(self)) for k, g in _KEYS.items())

    def values(self) -> Iterator[Any]:
        """The value of every key."""
        return (g(self) for g in _KEYS.values())

    @property
    def lock(self) -> threading.Lock:
        """A lock for this task's state; striped over a small pool to keep records small."""
        return _LOCKS[self.id & (len(_LOCKS) - 1)]

    def __repr__(self) -> str:
        return f"<TaskRecord {self.id} {self.func_name} {self.status.name}>"


def _attr(name: str) -> Callable[[TaskRecord], Any]:
    return lambda t: getattr(t, name)


def _facts(name: str) -> Callable[[TaskRecord], Any]:
    return lambda t: None if t.facts is None else getattr(t.facts, name)


_KEYS: dict[str, Callable[[TaskRecord], Any]] = {
    **{
        k: _attr(k)
        for k in (
            "id",
            "func",
            "func_name",
            "args",
            "kwargs",
            "executor",
            "status",
            "depends",
            "app_fu",
            "exec_fu",
            "fail_count",
            "fail_cost",
            "fail_history",
            "from_memo",
            "hashsum",
            "memoize",
            "ignore_for_cache",
            "joins",
            "resource_specification",
            "time_invoked",
            "time_returned",
            "try_id",
        )
    },
    "join": lambda t: t.kind == "join",
    "task_launch_lock": lambda t: t.lock,
    "try_time_launched": _facts("try_time_launched"),
    "try_time_returned": lambda t: t.time_returned,
}
"""Parsl's task-record keys, each read from the slotted record."""

_WRITABLE = frozenset({"fail_cost", "fail_count", "hashsum", "memoize", "status"})

Mapping.register(TaskRecord)


def log_extra(task: TaskRecord) -> dict[str, Any]:
    """Parsl's extra attributes for a log record about ``task``, so logs can be filtered per task.

    ``logger.info(..., extra=log_extra(task))`` gives the record the
    attributes ``parsl.task``, ``parsl.app_name``, ``parsl.try``,
    ``parsl.executor`` and ``parsl.task_state`` (the state's name).
    """
    return {
        "parsl.task": task.id,
        "parsl.app_name": task.func_name,
        "parsl.try": task.try_id,
        "parsl.executor": task.executor,
        "parsl.task_state": task.status.name,
    }


def log_submission(logger: logging.Logger, task: TaskRecord, depends: Iterable[object]) -> None:
    """Debug records of a new task's dependencies and app, with Parsl's extra attributes.

    One record per dependency (``parsl.dependency_task`` for an app future,
    ``parsl.dependency_object`` with its repr for any other future), then
    one naming the app; each also carries :func:`log_extra`'s attributes. Callers check
    ``logger.isEnabledFor(logging.DEBUG)`` first: nothing is built otherwise.
    """
    for d in depends:
        other = getattr(d, "task_record", None)
        if isinstance(other, TaskRecord):
            logger.debug(
                "task %s has dependency task %s",
                task.id,
                other.id,
                extra={**log_extra(task), "parsl.dependency_task": other.id},
            )
        else:
            logger.debug(
                "task %s has dependency future %r",
                task.id,
                d,
                extra={**log_extra(task), "parsl.dependency_object": repr(d)},
            )
    logger.debug(
        "task %s submitted for app %s",
        task.id,
        task.func_name,
        extra=log_extra(task),
    )

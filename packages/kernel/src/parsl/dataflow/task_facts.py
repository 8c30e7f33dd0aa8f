"""What a monitoring sink learns about a task: one :class:`TaskTransition` built from its record.

Only called while a sink is configured, so none of this formatting costs
anything when monitoring is off.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from concurrent.futures import Future
from typing import Any

from parsl.app.futures import DataFuture
from parsl.data_provider.files import File
from parsl.dataflow.states import FINAL_STATES, States
from parsl.dataflow.taskrecord import MonitorFacts, TaskRecord
from parsl.monitoring.sink import TaskTransition


def future_ids(futures: Iterable[Any]) -> tuple[int, ...]:
    """Task ids of the app (or data) futures in ``futures``, each once, in order.

    Futures that belong to no task (a plain :class:`~concurrent.futures.Future`)
    have no id and are left out.
    """
    ids: dict[int, None] = {}
    for f in futures:
        tid = getattr(f, "tid", None) if isinstance(f, Future) else None
        if isinstance(tid, int):
            ids[tid] = None
    return tuple(ids)


def files_in(value: Any) -> list[File]:
    """The Files of an ``inputs=``/``outputs=`` list (a DataFuture stands for its File)."""
    if not isinstance(value, list | tuple):
        return []
    found = []
    for v in value:
        # Never getattr() an AppFuture here: its attribute lookup starts a dependent task.
        f = v.file_obj if isinstance(v, DataFuture) else v
        if isinstance(f, File):
            found.append(f)
    return found


def file_names(value: Any) -> tuple[str, ...]:
    """``str()`` of each File (or the File of each DataFuture) in an ``inputs=``/``outputs=`` list."""
    return tuple(map(str, files_in(value)))


def _list_text(value: Any) -> str | None:
    """``str(value)`` as Parsl's ``task_inputs``/``task_outputs`` hold it; None for no list."""
    return None if value is None else str(value)


def std_path(value: Any) -> str | None:
    """The path of a ``stdin=``/``stdout=``/``stderr=`` argument, as Parsl's monitoring records it.

    A path (str, or an ``os.PathLike`` of str or bytes: always text here), the
    path of a ``(path, mode)`` pair, or a :class:`File`'s URL (a File stream is
    staged out, so the URL is where it ends up).
    """
    if isinstance(value, tuple | list) and value:
        value = value[0]
    if value is None:
        return None
    if isinstance(value, File):
        return value.url
    if isinstance(value, str | bytes | os.PathLike):
        return os.fsdecode(value)
    return str(value)


def std_name(value: Any) -> str:
    """:func:`std_path` for ``stdout=``/``stderr=``: no stream is ``""``, as in Parsl's ``task`` table."""
    return std_path(value) or ""


def describe(exc: BaseException) -> str:
    """One line for a failure: ``"Type: message"``."""
    return f"{type(exc).__name__}: {exc}"


def transition_event(
    run_id: str, task: TaskRecord, reason: str | None, now: float
) -> TaskTransition:
    """The event for ``task`` having just entered ``task.status`` at ``now``.

    Keeps ``task.facts`` current: made at the first event (at submit, while
    ``task.depends`` still holds the dependencies); the try's launch time is
    set when it is launched and cleared when a retried task goes back to
    pending.
    """
    facts = task.facts
    if facts is None:
        facts = task.facts = MonitorFacts(future_ids(task.depends))
    status = task.status
    if status is States.launched:
        facts.try_time_launched = now
    elif status is States.pending:
        facts.try_time_launched = None
    kwargs = task.kwargs
    if kwargs:
        if facts.kwargs_seen is not kwargs:  # made once per kwargs dict: at submit, at launch
            facts.kwargs_seen = kwargs
            ins, outs = kwargs.get("inputs"), kwargs.get("outputs")
            facts.lists = (file_names(ins), file_names(outs), _list_text(ins), _list_text(outs))
        inputs, outputs, inputs_text, outputs_text = facts.lists
        stdin, stdout = std_path(kwargs.get("stdin")), std_name(kwargs.get("stdout"))
        stderr = std_name(kwargs.get("stderr"))
    else:
        inputs = outputs = ()
        inputs_text = outputs_text = None
        stdin, stdout, stderr = None, "", ""
    joins = task.joins
    history = task.fail_history
    return TaskTransition(
        run_id,
        task.id,
        task.try_id,
        status,
        task.time_returned if status in FINAL_STATES and task.time_returned else now,
        task.func_name,
        task.executor,
        reason,
        time_invoked=task.time_invoked,
        time_returned=task.time_returned,
        fail_count=task.fail_count,
        fail_cost=task.fail_cost,
        depends=facts.depend_ids,
        memoize=task.memoize,
        hashsum=task.hashsum,
        inputs=inputs,
        outputs=outputs,
        stdin=stdin,
        stdout=stdout,
        stderr=stderr,
        joins=() if joins is None else future_ids([joins] if isinstance(joins, Future) else joins),
        fail_history=tuple(map(describe, history)) if history else (),
        try_time_launched=facts.try_time_launched,
        task_inputs=inputs_text,
        task_outputs=outputs_text,
    )

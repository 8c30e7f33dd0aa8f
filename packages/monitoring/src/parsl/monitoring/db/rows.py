"""From monitoring events to table rows: pure functions, no database.

:class:`RowBatch` collects a batch of events (the DataFlowKernel's
:class:`~parsl.monitoring.sink.TaskTransition` objects and the executors'
and workers' :data:`~parsl.monitoring.types.TaggedMonitoringMessage` pairs)
as the rows they become:

* every transition, and every ``TASK_INFO`` message, is one ``status`` row;
* the ``task`` row of each task and the ``try`` row of each attempt are
  merged within the batch (one row per key), ready for an upsert whose SQL
  applies the same rules against the stored row (see
  :mod:`parsl.monitoring.db.upsert`);
* ``RESOURCE_INFO``, ``NODE_INFO`` and ``BLOCK_INFO`` messages are rows of
  ``resource``, ``node`` and ``block``, their values coerced to the
  columns' types.

A malformed message is not a row: it is listed in ``rejected`` with the
reason, and the rest of the batch is unaffected.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, DateTime, Float, Integer, Table

from parsl.dataflow.states import FINAL_STATES, States
from parsl.monitoring.db import tables
from parsl.monitoring.sink import TaskTransition
from parsl.monitoring.types import MessageType

Row = dict[str, Any]

FINAL_STATE_NAMES = frozenset(s.name for s in FINAL_STATES)

_FAILED_TRY = frozenset({States.failed, States.fail_retryable})
_TRY_ENDED = frozenset({States.exec_done, States.failed, States.fail_retryable})
_TRY_STATES = frozenset({States.launched, States.running, States.running_ended, *_TRY_ENDED})

TASK_COLUMNS = tuple(c.name for c in tables.task.columns)
TRY_COLUMNS = tuple(c.name for c in tables.try_.columns)


def when(t: float | None) -> datetime | None:
    """A Unix timestamp as the tables store it: a naive local ``datetime``."""
    return None if t is None else datetime.fromtimestamp(t)


def _csv(items: tuple[Any, ...]) -> str | None:
    return ",".join(str(i) for i in items) if items else None


def _coerce_datetime(v: Any) -> datetime:
    if isinstance(v, datetime):
        return v
    if isinstance(v, bool) or not isinstance(v, int | float):
        raise ValueError(f"expected a Unix timestamp, got {v!r}")
    return datetime.fromtimestamp(v)


def _coercer(column_type: Any) -> Callable[[Any], Any]:
    if isinstance(column_type, DateTime):
        return _coerce_datetime
    if isinstance(column_type, Boolean):
        return bool
    if isinstance(column_type, Integer):
        return int
    if isinstance(column_type, Float):
        return float
    return str


class _MessageTable:
    """How one message type becomes a row of ``table``: known columns, types, required keys."""

    def __init__(self, table: Table) -> None:
        self.table = table
        cols = [c for c in table.columns if not (c.primary_key and c.autoincrement is True)]
        self.coerce = {c.name: _coercer(c.type) for c in cols}
        self.required = frozenset(c.name for c in cols if not c.nullable)

    def row(self, body: dict[str, Any]) -> Row:
        missing = self.required - body.keys()
        if missing:
            raise ValueError(f"missing {sorted(missing)}")
        out: Row = dict.fromkeys(self.coerce)
        for key, value in body.items():
            conv = self.coerce.get(key)
            if conv is not None and value is not None:
                out[key] = conv(value)
        return out


_RESOURCE = _MessageTable(tables.resource)
_NODE = _MessageTable(tables.node)
_BLOCK = _MessageTable(tables.block)


def merge_task(old: Row, new: Row) -> Row:
    """Combine two task rows of one task, ``new`` the later; the upsert SQL does the same."""
    out = dict(new)
    if old["task_status_name"] in FINAL_STATE_NAMES:
        out["task_status_name"] = old["task_status_name"]
    for col in ("task_time_returned", "task_executor", "task_fail_reason", "task_hashsum"):
        if out[col] is None:
            out[col] = old[col]
    if old["task_time_invoked"] is not None:
        out["task_time_invoked"] = old["task_time_invoked"]
    return out


def merge_try(old: Row, new: Row) -> Row:
    """Combine two try rows of one attempt: a later value wins unless it is unknown."""
    out = dict(old)
    for col, value in new.items():
        if value is not None and not (col == "task_executor" and value == ""):
            out[col] = value
    return out


def task_row(ev: TaskTransition) -> Row:
    """The task row as of this transition."""
    final = ev.state in FINAL_STATES
    returned = (
        ev.time_returned if ev.time_returned is not None else (ev.timestamp if final else None)
    )
    return {
        "task_id": ev.task_id,
        "run_id": ev.run_id,
        "task_depends": _csv(ev.depends),
        "task_func_name": ev.func_name,
        "task_memoize": "1" if ev.memoize else "0",
        "task_hashsum": ev.hashsum,
        "task_inputs": _csv(ev.inputs),
        "task_outputs": _csv(ev.outputs),
        "task_stdin": ev.stdin,
        "task_stdout": ev.stdout,
        "task_stderr": ev.stderr,
        "task_time_invoked": when(ev.time_invoked if ev.time_invoked is not None else ev.timestamp),
        "task_time_returned": when(returned),
        "task_fail_count": ev.fail_count,
        "task_fail_cost": float(ev.fail_cost),
        "task_status_name": ev.state.name,
        "task_executor": ev.executor,
        "task_fail_reason": ev.fail_reason if ev.state in FINAL_STATES else None,
    }


def try_row(ev: TaskTransition) -> Row | None:
    """The try row this transition tells about, or None when no attempt was launched."""
    if ev.state not in _TRY_STATES and ev.try_time_launched is None:
        return None
    launched = ev.try_time_launched
    if launched is None and ev.state is States.launched:
        launched = ev.timestamp
    ended = ev.state in _TRY_ENDED
    returned = (ev.time_returned or ev.timestamp) if ended else None
    row: Row = dict.fromkeys(TRY_COLUMNS)
    row.update(
        try_id=ev.try_id,
        task_id=ev.task_id,
        run_id=ev.run_id,
        task_executor=ev.executor or "",
        task_try_time_launched=when(launched),
        task_try_time_running=when(ev.timestamp) if ev.state is States.running else None,
        task_try_time_returned=when(returned),
        task_fail_history="\n".join(ev.fail_history) if ev.fail_history else None,
        task_joins=_csv(ev.joins),
        task_try_fail_reason=ev.fail_reason if ev.state in _FAILED_TRY else None,
    )
    return row


class RowBatch:
    """The rows of one batch of events, for one transaction."""

    def __init__(self, default_run_id: str | None = None) -> None:
        self.default_run_id = default_run_id
        self.status: list[Row] = []
        self.tasks: dict[tuple[str, int], Row] = {}
        self.tries: dict[tuple[str, int, int], Row] = {}
        self.resources: list[Row] = []
        self.nodes: list[Row] = []
        self.blocks: list[Row] = []
        self.rejected: list[str] = []
        self.events = 0

    def __bool__(self) -> bool:
        return self.events > 0

    def _add_try(self, row: Row) -> None:
        key = (row["run_id"], row["task_id"], row["try_id"])
        old = self.tries.get(key)
        self.tries[key] = row if old is None else merge_try(old, row)

    def add_transition(self, ev: TaskTransition) -> None:
        """One DataFlowKernel transition: a status row, the task row, maybe the try row."""
        self.events += 1
        self.status.append(
            {
                "task_id": ev.task_id,
                "task_status_name": ev.state.name,
                "timestamp": when(ev.timestamp),
                "run_id": ev.run_id,
                "try_id": ev.try_id,
            }
        )
        key = (ev.run_id, ev.task_id)
        row = task_row(ev)
        old = self.tasks.get(key)
        self.tasks[key] = row if old is None else merge_task(old, row)
        tried = try_row(ev)
        if tried is not None:
            self._add_try(tried)

    def add_message(self, message: Any) -> None:
        """One message from an executor or worker; a malformed one is listed in ``rejected``."""
        self.events += 1
        try:
            kind, body = message
            if not isinstance(kind, MessageType) or not isinstance(body, dict):
                raise ValueError("expected a (MessageType, dict) pair")
            if "run_id" not in body and self.default_run_id is not None:
                body = {**body, "run_id": self.default_run_id}
            if kind is MessageType.TASK_INFO:
                self._task_info(body)
            elif kind is MessageType.RESOURCE_INFO:
                self.resources.append(_RESOURCE.row(body))
            elif kind is MessageType.NODE_INFO:
                self.nodes.append(_NODE.row(body))
            elif kind is MessageType.BLOCK_INFO:
                self.blocks.append(_BLOCK.row(body))
            # WORKFLOW_INFO: the workflow row comes from start() and workflow_end().
        except (ValueError, TypeError, OverflowError, OSError) as e:
            self.rejected.append(f"{_kind_name(message)} message {_short(message)}: {e}")

    def _task_info(self, body: dict[str, Any]) -> None:
        missing = {"run_id", "task_id", "try_id", "task_status_name", "timestamp"} - body.keys()
        if missing:
            raise ValueError(f"missing {sorted(missing)}")
        task_id, try_id = int(body["task_id"]), int(body["try_id"])
        stamp = _coerce_datetime(body["timestamp"])
        name = str(body["task_status_name"])
        run_id = str(body["run_id"])
        self.status.append(
            {
                "task_id": task_id,
                "task_status_name": name,
                "timestamp": stamp,
                "run_id": run_id,
                "try_id": try_id,
            }
        )
        row: Row = dict.fromkeys(TRY_COLUMNS)
        row.update(
            try_id=try_id,
            task_id=task_id,
            run_id=run_id,
            task_executor=str(body.get("executor_label") or ""),
            hostname=None if body.get("hostname") is None else str(body["hostname"]),
            block_id=None if body.get("block_id") is None else str(body["block_id"]),
        )
        if name == States.running.name:
            row["task_try_time_running"] = stamp
        self._add_try(row)


def _kind_name(message: Any) -> str:
    try:
        return str(message[0].name)
    except (TypeError, AttributeError, IndexError, KeyError):
        return "malformed"


def _short(message: Any) -> str:
    text = repr(message)
    return text if len(text) <= 200 else text[:197] + "..."

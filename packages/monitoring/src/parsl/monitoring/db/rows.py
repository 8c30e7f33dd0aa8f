"""From monitoring events to table rows: pure functions, no database.

:class:`RowBatch` collects a batch of events (the DataFlowKernel's
:class:`~parsl.monitoring.sink.TaskTransition` objects and the executors'
and workers' :data:`~parsl.monitoring.types.TaggedMonitoringMessage` pairs)
as the rows they become:

* every transition, and every ``TASK_INFO`` message, is one ``status`` row;
* the ``task`` row of each task and the ``try`` row of each attempt are
  merged within the batch (one row per key; an ``ON CONFLICT DO UPDATE`` may
  touch a row only once per statement), ready for an upsert whose SQL
  applies the same rules against the stored row (see
  :mod:`parsl.monitoring.db.upsert`);
* ``RESOURCE_INFO``, ``NODE_INFO`` and ``BLOCK_INFO`` messages are rows of
  ``resource``, ``node`` and ``block``, their values coerced to the
  columns' types.

Rows are tuples of driver-ready values in the table's column order (the
``*_COLUMNS`` constants below): the writer hands them to the driver's
``executemany`` as they are, with no dict per row.

A malformed message is not a row: it is listed in ``rejected`` with the
reason, and the rest of the batch is unaffected.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, DateTime, Float, Integer, Table

from parsl.dataflow.states import FINAL_STATES, States
from parsl.monitoring.db import tables
from parsl.monitoring.sink import TaskTransition
from parsl.monitoring.types import MessageType

Row = tuple[Any, ...]
"""A row: one value per column, in the table's column order."""

FINAL_STATE_NAMES = frozenset(s.name for s in FINAL_STATES)
STATE_NAMES = {s: s.name for s in States}
"""Each state's name (a dict lookup is cheaper than the enum's ``name`` property)."""

_FAILED_TRY = frozenset({States.failed, States.fail_retryable})
_TRY_ENDED = frozenset({States.exec_done, States.failed, States.fail_retryable})
_TRY_STATES = frozenset({States.launched, States.running, States.running_ended, *_TRY_ENDED})

STATUS_COLUMNS = tuple(c.name for c in tables.status.columns)
TASK_COLUMNS = tuple(c.name for c in tables.task.columns)
TRY_COLUMNS = tuple(c.name for c in tables.try_.columns)
_try_row = operator.itemgetter(*TRY_COLUMNS)


Stamp = Callable[[float], Any]
"""Turns a Unix timestamp into a driver value for a ``DateTime`` column."""


def when(t: float) -> datetime:
    """A Unix timestamp as the tables store it: a naive local ``datetime``."""
    return datetime.fromtimestamp(t)


_SECOND_TEXT: dict[float, str] = {}
"""``sqlite_when``'s cache: whole Unix seconds to their local-time ISO text (bounded)."""


def sqlite_when(t: float) -> str:
    """A Unix timestamp as SQLAlchemy stores a ``DateTime`` in SQLite (ISO text, microseconds).

    The same text as ``datetime.fromtimestamp(t).isoformat(" ", "microseconds")``
    (microseconds rounded half to even, as ``fromtimestamp`` rounds), but the
    date and time of day are formatted once per second: the writer stamps
    several columns of every event, and formatting was a fifth of its time.
    """
    frac, whole = math.modf(t)
    us = round(frac * 1e6)
    if frac < 0 or us >= 1_000_000:  # before 1970, or rounds up into the next second
        return datetime.fromtimestamp(t).isoformat(" ", "microseconds")
    text = _SECOND_TEXT.get(whole)
    if text is None:
        if len(_SECOND_TEXT) >= 4096:
            _SECOND_TEXT.clear()
        text = _SECOND_TEXT[whole] = datetime.fromtimestamp(whole).isoformat(" ", "seconds")
    return f"{text}.{us:06d}"


def _csv(items: tuple[Any, ...]) -> str | None:
    return ",".join(map(str, items)) if items else None


def _unix_time(v: Any) -> float:
    if isinstance(v, datetime):
        return v.timestamp()
    if isinstance(v, bool) or not isinstance(v, int | float):
        raise ValueError(f"expected a Unix timestamp, got {v!r}")
    return float(v)


_DATETIME = object()
"""Marks a DateTime column in _MessageTable.coerce (converted with the batch's stamp)."""


def _coercer(column_type: Any) -> Any:
    if isinstance(column_type, DateTime):
        return _DATETIME
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
        self.columns = tuple(c.name for c in cols)
        """The row's columns, in order (an autoincrement key is left to the database)."""
        self.coerce = {c.name: (i, _coercer(c.type)) for i, c in enumerate(cols)}
        self.required = frozenset(c.name for c in cols if not c.nullable)

    def row(self, body: dict[str, Any], stamp: Stamp) -> Row:
        missing = self.required - body.keys()
        if missing:
            raise ValueError(f"missing {sorted(missing)}")
        out: list[Any] = [None] * len(self.columns)
        coerce = self.coerce
        for key, value in body.items():
            known = coerce.get(key)
            if known is None or value is None:
                continue
            i, conv = known
            if conv is _DATETIME:
                out[i] = stamp(_unix_time(value))
            elif type(value) is conv:  # already the column's type (most values): no call
                out[i] = value
            else:
                out[i] = conv(value)
        return tuple(out)


_RESOURCE = _MessageTable(tables.resource)
_NODE = _MessageTable(tables.node)
_BLOCK = _MessageTable(tables.block)
RESOURCE_COLUMNS = _RESOURCE.columns
NODE_COLUMNS = _NODE.columns
BLOCK_COLUMNS = _BLOCK.columns


class _TaskSoFar:
    """One task's row within a batch: the latest transition, plus the values that stick."""

    __slots__ = ("event", "executor", "fail_reason", "final", "hashsum", "invoked", "returned")

    def __init__(self, ev: TaskTransition) -> None:
        self.event = ev
        self.final: str | None = None
        self.invoked = ev.time_invoked if ev.time_invoked is not None else ev.timestamp
        self.returned: float | None = None
        self.executor: str | None = None
        self.fail_reason: str | None = None
        self.hashsum: str | None = None

    def add(self, ev: TaskTransition) -> None:
        """Rules as in the upsert SQL: a final state sticks; a known value replaces unknown."""
        self.event = ev
        final = ev.state in FINAL_STATES
        if final and self.final is None:
            self.final = STATE_NAMES[ev.state]
        if ev.time_returned is not None:
            self.returned = ev.time_returned
        elif final and self.returned is None:
            self.returned = ev.timestamp
        if ev.executor is not None:
            self.executor = ev.executor
        if final and ev.fail_reason is not None:
            self.fail_reason = ev.fail_reason
        if ev.hashsum is not None:
            self.hashsum = ev.hashsum

    def row(self, stamp: Stamp) -> Row:
        """The task row, in :data:`TASK_COLUMNS` order."""
        ev = self.event
        return (
            ev.task_id,
            ev.run_id,
            _csv(ev.depends),
            ev.func_name,
            "1" if ev.memoize else "0",
            self.hashsum,
            _csv(ev.inputs),
            _csv(ev.outputs),
            ev.stdin,
            ev.stdout,
            ev.stderr,
            stamp(self.invoked),
            None if self.returned is None else stamp(self.returned),
            ev.fail_count,
            float(ev.fail_cost),
            self.final or STATE_NAMES[ev.state],
            self.executor,
            self.fail_reason,
        )


def _empty_try(run_id: str, task_id: int, try_id: int) -> dict[str, Any]:
    row: dict[str, Any] = dict.fromkeys(TRY_COLUMNS)
    row["run_id"], row["task_id"], row["try_id"], row["task_executor"] = run_id, task_id, try_id, ""
    return row


class RowBatch:
    """The rows of one batch of events, for one transaction.

    ``stamp`` turns Unix timestamps into the values the database driver is
    given for ``DateTime`` columns (:func:`when` for PostgreSQL,
    :func:`sqlite_when` for SQLite); each distinct time is converted once
    per batch (a task's times recur: its try's launch is its ``launched``
    state's time, and so on).

    ``status``, ``resources``, ``nodes`` and ``blocks`` are rows (tuples in
    the ``*_COLUMNS`` order); ``tries`` holds one try per key as a dict by
    column name (merged as messages arrive), :attr:`try_rows` the same as
    rows, and :attr:`tasks` one row per task.
    """

    def __init__(self, default_run_id: str | None = None, stamp: Stamp = when) -> None:
        self.default_run_id = default_run_id
        self.convert = stamp
        self._stamps: dict[float, Any] = {}
        self.status: list[Row] = []
        self._tasks: dict[tuple[str, int], _TaskSoFar] = {}
        self.tries: dict[tuple[str, int, int], dict[str, Any]] = {}
        self.resources: list[Row] = []
        self.nodes: list[Row] = []
        self.blocks: list[Row] = []
        self.rejected: list[str] = []
        self.events = 0

    def __bool__(self) -> bool:
        return self.events > 0

    def stamp(self, t: float) -> Any:
        """``t`` converted for a ``DateTime`` column (once per distinct value in the batch)."""
        value = self._stamps.get(t)
        if value is None:
            value = self._stamps[t] = self.convert(t)
        return value

    @property
    def tasks(self) -> list[Row]:
        """One row per task of the batch, in :data:`TASK_COLUMNS` order."""
        stamp = self.stamp
        return [t.row(stamp) for t in self._tasks.values()]

    @property
    def try_rows(self) -> list[Row]:
        """One row per try of the batch, in :data:`TRY_COLUMNS` order."""
        return list(map(_try_row, self.tries.values()))

    def _try(self, run_id: str, task_id: int, try_id: int) -> dict[str, Any]:
        key = (run_id, task_id, try_id)
        row = self.tries.get(key)
        if row is None:
            row = self.tries[key] = _empty_try(run_id, task_id, try_id)
        return row

    def add_transition(self, ev: TaskTransition) -> None:
        """One DataFlowKernel transition: a status row, the task row, maybe the try row."""
        self.events += 1
        stamp = self.stamp
        state = ev.state
        at = stamp(ev.timestamp)
        self.status.append((ev.task_id, STATE_NAMES[state], at, ev.run_id, ev.try_id))
        key = (ev.run_id, ev.task_id)
        so_far = self._tasks.get(key)
        if so_far is None:
            so_far = self._tasks[key] = _TaskSoFar(ev)
        so_far.add(ev)
        launched = ev.try_time_launched
        if state not in _TRY_STATES and launched is None:
            return  # no attempt was launched (pending, dep_fail, memo_done, ...)
        row = self._try(ev.run_id, ev.task_id, ev.try_id)
        if ev.executor:
            row["task_executor"] = ev.executor
        if launched is not None:
            row["task_try_time_launched"] = stamp(launched)
        elif state is States.launched:
            row["task_try_time_launched"] = at
        if state is States.running:
            row["task_try_time_running"] = at
        if state in _TRY_ENDED:
            row["task_try_time_returned"] = stamp(ev.time_returned or ev.timestamp)
        if ev.fail_history:
            row["task_fail_history"] = "\n".join(ev.fail_history)
        if ev.joins:
            row["task_joins"] = _csv(ev.joins)
        if state in _FAILED_TRY and ev.fail_reason is not None:
            row["task_try_fail_reason"] = ev.fail_reason

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
                self.resources.append(_RESOURCE.row(body, self.stamp))
            elif kind is MessageType.NODE_INFO:
                self.nodes.append(_NODE.row(body, self.stamp))
            elif kind is MessageType.BLOCK_INFO:
                self.blocks.append(_BLOCK.row(body, self.stamp))
            # WORKFLOW_INFO: the workflow row comes from start() and workflow_end().
        except (ValueError, TypeError, OverflowError, OSError) as e:
            self.rejected.append(f"{_kind_name(message)} message {_short(message)}: {e}")

    def _task_info(self, body: dict[str, Any]) -> None:
        if not body.keys() >= _TASK_INFO_KEYS:
            missing = _TASK_INFO_KEYS - body.keys()
            raise ValueError(f"missing {sorted(missing)}")
        task_id, try_id = _as_int(body["task_id"]), _as_int(body["try_id"])
        at = self.stamp(_unix_time(body["timestamp"]))
        name = _as_str(body["task_status_name"])
        run_id = _as_str(body["run_id"])
        self.status.append((task_id, name, at, run_id, try_id))
        row = self._try(run_id, task_id, try_id)
        # A known value replaces an unknown one; an unknown one never replaces a known one.
        executor = body.get("executor_label")
        if executor:
            row["task_executor"] = _as_str(executor)
        hostname = body.get("hostname")
        if hostname is not None:
            row["hostname"] = _as_str(hostname)
        block_id = body.get("block_id")
        if block_id is not None:
            row["block_id"] = _as_str(block_id)
        if name == _RUNNING:
            row["task_try_time_running"] = at


_TASK_INFO_KEYS = frozenset({"run_id", "task_id", "try_id", "task_status_name", "timestamp"})
_RUNNING = States.running.name


def _as_int(v: Any) -> int:
    return v if type(v) is int else int(v)


def _as_str(v: Any) -> str:
    return v if type(v) is str else str(v)


def _kind_name(message: Any) -> str:
    try:
        return str(message[0].name)
    except (TypeError, AttributeError, IndexError, KeyError):
        return "malformed"


def _short(message: Any) -> str:
    text = repr(message)
    return text if len(text) <= 200 else text[:197] + "..."

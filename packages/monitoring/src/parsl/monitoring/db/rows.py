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
``*_COLUMNS`` constants; see :mod:`parsl.monitoring.db.columns` for the
messages' tables): the writer hands them to the driver's
``executemany`` as they are, with no dict per row.

A malformed message is not a row: it is listed in ``rejected`` with the
reason, and the rest of the batch is unaffected.
"""

from __future__ import annotations

import operator
from typing import Any

from parsl.dataflow.states import States
from parsl.monitoring.db import tables
from parsl.monitoring.db.columns import (
    BLOCK,
    BLOCK_COLUMNS,
    NODE,
    NODE_COLUMNS,
    RESOURCE,
    RESOURCE_COLUMNS,
    RESOURCE_VALUES,
    Row,
    Stamp,
    sqlite_when,
    unix_time,
    when,
)
from parsl.monitoring.db.provenance import PROVENANCE_KINDS, ProvenanceRows, ProvenanceState
from parsl.monitoring.db.task_rows import FINAL_STATE_NAMES, STATE_NAMES, TaskSoFar, csv
from parsl.monitoring.radios.wire import FIELDS, as_body
from parsl.monitoring.sink import TaskTransition
from parsl.monitoring.types import MessageType

__all__ = [
    "BLOCK_COLUMNS",
    "FINAL_STATE_NAMES",
    "NODE_COLUMNS",
    "RESOURCE_COLUMNS",
    "STATUS_COLUMNS",
    "TASK_COLUMNS",
    "TRY_COLUMNS",
    "Row",
    "RowBatch",
    "Stamp",
    "refreshes_a_node_row",
    "sqlite_when",
    "when",
]


_FAILED_TRY = frozenset({States.failed, States.fail_retryable})
_TRY_ENDED = frozenset({States.exec_done, States.failed, States.fail_retryable})
_TRY_STATES = frozenset({States.launched, States.running, States.running_ended, *_TRY_ENDED})

STATUS_COLUMNS = tuple(c.name for c in tables.status.columns)
TASK_COLUMNS = tuple(c.name for c in tables.task.columns)
TRY_COLUMNS = tuple(c.name for c in tables.try_.columns)
_TRY_AT = {name: i for i, name in enumerate(TRY_COLUMNS)}
"""Each try column's place in a try row (tries are merged as lists: no dict per try)."""
_EXECUTOR, _HOSTNAME, _BLOCK_ID = (
    _TRY_AT["task_executor"],
    _TRY_AT["hostname"],
    _TRY_AT["block_id"],
)
_LAUNCHED, _RUNNING_AT, _RETURNED = (
    _TRY_AT["task_try_time_launched"],
    _TRY_AT["task_try_time_running"],
    _TRY_AT["task_try_time_returned"],
)
_FAIL_HISTORY, _JOINS, _TRY_FAIL_REASON = (
    _TRY_AT["task_fail_history"],
    _TRY_AT["task_joins"],
    _TRY_AT["task_try_fail_reason"],
)
_EMPTY_TRY: list[Any] = [None] * len(TRY_COLUMNS)
_EMPTY_TRY[_EXECUTOR] = ""  # NOT NULL; '' is unknown (see upsert_try)
_RUN_ID, _TASK_ID, _TRY_ID = _TRY_AT["run_id"], _TRY_AT["task_id"], _TRY_AT["try_id"]


def refreshes_a_node_row(body: dict[str, Any]) -> bool:
    """Whether a ``NODE_INFO`` refreshes the ``node`` row that began at its ``timestamp``.

    A manager's row is written when it registers (``timestamp`` and
    ``last_heartbeat`` both the registration time) and when it goes inactive;
    its heartbeats carry the registration time as ``timestamp`` and a later
    ``last_heartbeat``, and update that row instead of adding one (Parsl keeps
    two rows per manager; a row per heartbeat would be millions on a big run).
    """
    beat, began = body.get("last_heartbeat"), body.get("timestamp")
    if not body.get("active") or beat is None or began is None:
        return False
    return bool(unix_time(beat) > unix_time(began))


_TASK_INFO_VALUES = operator.itemgetter(
    *(
        FIELDS[MessageType.TASK_INFO].index(name)
        for name in (
            "run_id",
            "task_id",
            "try_id",
            "task_status_name",
            "timestamp",
            "hostname",
            "executor_label",
            "block_id",
        )
    )
)


_TASK_INFO_IN_ORDER = _TASK_INFO_VALUES(list(range(len(FIELDS[MessageType.TASK_INFO])))) == tuple(
    range(len(FIELDS[MessageType.TASK_INFO]))
)
"""A positional TASK_INFO body is already in ``_status_info``'s order (no values picked)."""


def _empty_try(run_id: str, task_id: int, try_id: int) -> list[Any]:
    row = _EMPTY_TRY.copy()
    row[_RUN_ID], row[_TASK_ID], row[_TRY_ID] = run_id, task_id, try_id
    return row


class RowBatch:
    """The rows of one batch of events, for one transaction.

    ``stamp`` turns Unix timestamps into the values the database driver is
    given for ``DateTime`` columns (:func:`when` for PostgreSQL,
    :func:`sqlite_when` for SQLite), called for each time of each row: a
    cache of the batch's converted times cost more than it saved (of the nine
    times a task converts, one or two recur), now that both are quick.

    ``status``, ``resources``, ``nodes`` and ``blocks`` are rows (tuples in
    the ``*_COLUMNS`` order); ``tries`` holds one try per key as a list in
    :data:`TRY_COLUMNS` order (merged as messages arrive), :attr:`try_rows` the same as
    rows, and :attr:`tasks` one row per task.
    """

    def __init__(
        self,
        default_run_id: str | None = None,
        stamp: Stamp = when,
        state: ProvenanceState | None = None,
    ) -> None:
        self.default_run_id = default_run_id
        self.stamp: Stamp = stamp
        """``t`` converted for a ``DateTime`` column."""
        self.status: list[Row] = []
        self._tasks: dict[tuple[str, int], TaskSoFar] = {}
        self.tries: dict[tuple[str, int, int], list[Any]] = {}
        self.resources: list[Row] = []
        self.nodes: list[Row] = []
        self.node_beats: list[Row] = []
        """``node`` rows that refresh an existing row (see :func:`refreshes_a_node_row`)."""
        self.blocks: list[Row] = []
        self.rejected: list[str] = []
        self.events = 0
        self.provenance = ProvenanceRows(state or ProvenanceState(), stamp)
        """File provenance and notes (see :mod:`parsl.monitoring.db.provenance`)."""

    def __bool__(self) -> bool:
        return self.events > 0

    @property
    def tasks(self) -> list[Row]:
        """One row per task of the batch, in :data:`TASK_COLUMNS` order."""
        stamp, environments = self.stamp, self.provenance.state.environments
        return [t.row(stamp, environments) for t in self._tasks.values()]

    @property
    def try_rows(self) -> list[Row]:
        """One row per try of the batch, in :data:`TRY_COLUMNS` order."""
        return list(map(tuple, self.tries.values()))

    def _try(self, run_id: str, task_id: int, try_id: int) -> list[Any]:
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
            so_far = self._tasks[key] = TaskSoFar(ev)
        so_far.add(ev)
        launched = ev.try_time_launched
        if state not in _TRY_STATES and launched is None:
            return  # no attempt was launched (pending, dep_fail, memo_done, ...)
        row = self._try(ev.run_id, ev.task_id, ev.try_id)
        if ev.executor:
            row[_EXECUTOR] = ev.executor
        if launched is not None:
            row[_LAUNCHED] = stamp(launched)
        elif state is States.launched:
            row[_LAUNCHED] = at
        if state is States.running:
            row[_RUNNING_AT] = at
        if state in _TRY_ENDED:
            row[_RETURNED] = stamp(ev.time_returned or ev.timestamp)
        if ev.fail_history:
            row[_FAIL_HISTORY] = "\n".join(ev.fail_history)
        if ev.joins:
            row[_JOINS] = csv(ev.joins)
        if state in _FAILED_TRY and ev.fail_reason is not None:
            row[_TRY_FAIL_REASON] = ev.fail_reason

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
                self.resources.append(RESOURCE.row(body, self.stamp))
            elif kind is MessageType.NODE_INFO:
                row = NODE.row(body, self.stamp)
                (self.node_beats if refreshes_a_node_row(body) else self.nodes).append(row)
            elif kind is MessageType.BLOCK_INFO:
                self.blocks.append(BLOCK.row(body, self.stamp))
            elif kind in PROVENANCE_KINDS:
                self.provenance.add(kind, body)
            # WORKFLOW_INFO: the workflow row comes from start() and workflow_end().
        except (ValueError, TypeError, OverflowError, OSError) as e:
            self.rejected.append(f"{_kind_name(message)} message {_short(message)}: {e}")

    def add_values(self, kind: MessageType, values: list[Any]) -> None:
        """One message as its positional wire body (checked by the wire decoder); else as add_message.

        A worker's ``TASK_INFO`` and ``RESOURCE_INFO`` become their rows with
        no dict in between; the rows are those :meth:`add_message` makes of
        the same message as a dict.
        """
        if kind is MessageType.TASK_INFO:
            self.events += 1
            try:
                self._status_info(*(values if _TASK_INFO_IN_ORDER else _TASK_INFO_VALUES(values)))
            except (ValueError, TypeError, OverflowError, OSError) as e:
                message = (kind, as_body(kind, values))
                self.rejected.append(f"{_kind_name(message)} message {_short(message)}: {e}")
            return
        if kind is MessageType.RESOURCE_INFO:
            try:
                row = RESOURCE_VALUES.row(values, self.stamp)
            except (ValueError, TypeError, OverflowError, OSError):
                row = None  # the dict path names the problem
            if row is not None:
                self.events += 1
                self.resources.append(row)
                return
        self.add_message((kind, as_body(kind, values)))

    def _task_info(self, body: dict[str, Any]) -> None:
        if not body.keys() >= _TASK_INFO_KEYS:
            missing = _TASK_INFO_KEYS - body.keys()
            raise ValueError(f"missing {sorted(missing)}")
        self._status_info(
            body["run_id"],
            body["task_id"],
            body["try_id"],
            body["task_status_name"],
            body["timestamp"],
            body.get("hostname"),
            body.get("executor_label"),
            body.get("block_id"),
        )

    def _status_info(
        self,
        run_id: Any,
        task_id: Any,
        try_id: Any,
        name: Any,
        timestamp: Any,
        hostname: Any,
        executor: Any,
        block_id: Any,
    ) -> None:
        """A worker's TASK_INFO: a status row, and what it tells of the try."""
        # (The usual types tested inline: a call each would cost more than the test.)
        if type(task_id) is not int:
            task_id = int(task_id)
        if type(try_id) is not int:
            try_id = int(try_id)
        at = self.stamp(timestamp if type(timestamp) is float else unix_time(timestamp))
        if type(name) is not str:
            name = str(name)
        if type(run_id) is not str:
            run_id = str(run_id)
        self.status.append((task_id, name, at, run_id, try_id))
        key = (run_id, task_id, try_id)
        row = self.tries.get(key)
        if row is None:
            row = self.tries[key] = _empty_try(run_id, task_id, try_id)
        # A known value replaces an unknown one; an unknown one never replaces a known one.
        if executor:
            row[_EXECUTOR] = _as_str(executor)
        if hostname is not None:
            row[_HOSTNAME] = _as_str(hostname)
        if block_id is not None:
            row[_BLOCK_ID] = _as_str(block_id)
        if name == _RUNNING:
            row[_RUNNING_AT] = at


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

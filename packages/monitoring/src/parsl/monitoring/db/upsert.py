"""Dialect-specific writes: upserts of task, try and workflow rows, and duplicate-tolerant inserts.

SQLite and PostgreSQL share ``INSERT ... ON CONFLICT``; SQLAlchemy builds
it through each dialect's own ``insert``. The merge rules match those
:class:`parsl.monitoring.db.rows.RowBatch` applies within a batch (an
``ON CONFLICT DO UPDATE`` may touch a row only once per statement).

:class:`Prepared` compiles a statement once and runs it with the driver's
own ``executemany``: the writer's hot path, without per-row SQLAlchemy work.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import Connection, Table, case, func, literal_column
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Dialect
from sqlalchemy.sql.dml import Insert

from parsl.monitoring.db import tables
from parsl.monitoring.db.rows import FINAL_STATE_NAMES

_INSERTS: dict[str, Callable[[Table], Any]] = {
    "sqlite": sqlite.insert,
    "postgresql": postgresql.insert,
}


def _insert(dialect: str, table: Table) -> Any:
    try:
        return _INSERTS[dialect](table)
    except KeyError:
        raise ValueError(f"no upsert for the {dialect!r} database") from None


def insert_ignoring_duplicates(dialect: str, table: Table) -> Insert:
    """``INSERT`` that skips rows whose primary key is already stored."""
    return _insert(dialect, table).on_conflict_do_nothing()  # type: ignore[no-any-return]


def upsert_task(dialect: str) -> Insert:
    """Insert a task row, or merge it into the stored one (a final state sticks)."""
    t = tables.task
    ins = _insert(dialect, t)
    ex = ins.excluded
    keep_if_null = ("task_time_returned", "task_executor", "task_fail_reason", "task_hashsum")
    updates: dict[str, Any] = {}
    for col in t.columns:
        if col.primary_key:
            continue
        if col.name in keep_if_null:
            updates[col.name] = func.coalesce(ex[col.name], col)
        elif col.name == "task_time_invoked":
            updates[col.name] = func.coalesce(col, ex[col.name])
        elif col.name == "task_status_name":
            # Inline constants (fixed state names), so the statement's only parameters are
            # the row's values: it can be compiled once and run with executemany.
            names = ", ".join(f"'{name}'" for name in sorted(FINAL_STATE_NAMES))
            is_final = col.op("IN")(literal_column(f"({names})"))
            updates[col.name] = case((is_final, col), else_=ex[col.name])
        else:
            updates[col.name] = ex[col.name]
    return ins.on_conflict_do_update(  # type: ignore[no-any-return]
        index_elements=[t.c.task_id, t.c.run_id], set_=updates
    )


def upsert_try(dialect: str) -> Insert:
    """Insert a try row, or fill in the stored one: a known value replaces, unknown keeps."""
    t = tables.try_
    ins = _insert(dialect, t)
    ex = ins.excluded
    updates: dict[str, Any] = {}
    for col in t.columns:
        if col.primary_key:
            continue
        if col.name == "task_executor":
            updates[col.name] = case(
                (ex[col.name] == literal_column("''"), col), else_=ex[col.name]
            )
        else:
            updates[col.name] = func.coalesce(ex[col.name], col)
    return ins.on_conflict_do_update(  # type: ignore[no-any-return]
        index_elements=[t.c.try_id, t.c.task_id, t.c.run_id], set_=updates
    )


def upsert_workflow(dialect: str) -> Insert:
    """Insert a workflow row, or refresh a stored one of the same run id."""
    t = tables.workflow
    ins = _insert(dialect, t)
    fresh = ("workflow_name", "workflow_version", "time_began", "rundir", "host", "user")
    return ins.on_conflict_do_update(  # type: ignore[no-any-return]
        index_elements=[t.c.run_id], set_={c: ins.excluded[c] for c in fresh}
    )


class Prepared:
    """A statement compiled once for ``dialect``, run over many rows with ``executemany``.

    Rows are dicts keyed by column name holding driver-ready values (see
    :attr:`parsl.monitoring.db.rows.RowBatch.stamp` for times): no type
    processing happens here.
    """

    def __init__(self, statement: Insert, dialect: Dialect) -> None:
        compiled = statement.compile(dialect=dialect)
        self.sql = compiled.string
        names = compiled.positiontup
        self._order: Callable[[dict[str, Any]], Any] | None = None
        if names:  # a positional paramstyle (SQLite's qmark): tuples in this order
            getter = operator.itemgetter(*names)
            self._order = getter if len(names) > 1 else (lambda row: (getter(row),))

    def run(self, conn: Connection, rows: Sequence[dict[str, Any]]) -> None:
        order = self._order
        params: Any = rows if order is None else [order(r) for r in rows]
        conn.exec_driver_sql(self.sql, params)

"""Dialect-specific writes: upserts of task, try and workflow rows, and duplicate-tolerant inserts.

SQLite and PostgreSQL share ``INSERT ... ON CONFLICT``; SQLAlchemy builds
it through each dialect's own ``insert``. The merge rules match
:func:`parsl.monitoring.db.rows.merge_task` and
:func:`~parsl.monitoring.db.rows.merge_try`, which apply them within a batch
(an ``ON CONFLICT DO UPDATE`` may touch a row only once per statement).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import Table, case, func, literal, or_
from sqlalchemy.dialects import postgresql, sqlite
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
            # OR of equalities, not IN: an expanding IN cannot be used with executemany.
            is_final = or_(*(col == literal(name) for name in sorted(FINAL_STATE_NAMES)))
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
            updates[col.name] = case((ex[col.name] == "", col), else_=ex[col.name])
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

"""Parsl's monitoring query helpers: one DataFrame per question about a workflow run.

Needs the ``pandas`` extra (``pip install 'parsl-monitoring[pandas]'``).
Each function takes the run id (``workflow_id``) and the database ``db``:
an SQLAlchemy engine or connection, an :mod:`sqlite3` connection, or a
database URL string (opened read-only for the call)::

    from parsl.monitoring.queries.pandas import app_counts_for_workflow
    app_counts_for_workflow(run_id, "sqlite:///runinfo/monitoring.db")

Values are passed as query parameters, never pasted into the SQL. Time
columns come back as pandas datetimes on SQLite as on PostgreSQL.
"""

from __future__ import annotations

import sqlite3
from typing import Any

try:
    import pandas as pd  # type: ignore[import-untyped]
except ImportError as e:  # pragma: no cover - exercised in a subprocess without pandas
    raise ImportError(
        "parsl.monitoring.queries.pandas needs pandas: pip install 'parsl-monitoring[pandas]'"
    ) from e

from sqlalchemy import Connection, DateTime, Engine, text

from parsl.monitoring.db import tables
from parsl.monitoring.db.engine import open_for_reading

DB = Any
"""A database: SQLAlchemy Engine/Connection, sqlite3.Connection, or a URL string."""

__all__ = [
    "app_counts_for_workflow",
    "completion_times_for_workflow",
    "nodes_for_workflow",
    "resources_for_task",
    "resources_for_workflow",
    "status_for_workflow",
    "tasks_for_workflow",
    "tries_for_workflow",
]


_TIMES = frozenset(
    c.name for t in tables.metadata.sorted_tables for c in t.columns if isinstance(c.type, DateTime)
)
"""Columns holding times: SQLite returns them as text, so they are parsed here."""


def _with_times(frame: pd.DataFrame) -> pd.DataFrame:
    for col in frame.columns:
        if col in _TIMES and not pd.api.types.is_datetime64_any_dtype(frame[col]):
            frame[col] = pd.to_datetime(frame[col], format="ISO8601")
    return frame


def _query(sql: str, db: DB, **params: Any) -> pd.DataFrame:
    if isinstance(db, sqlite3.Connection):
        return _with_times(pd.read_sql_query(sql, db, params=params))
    if isinstance(db, Engine | Connection):
        return _with_times(pd.read_sql_query(text(sql), db, params=params))
    if isinstance(db, str):
        engine = open_for_reading(db)
        try:
            with engine.connect() as conn:
                return _with_times(pd.read_sql_query(text(sql), conn, params=params))
        finally:
            engine.dispose()
    raise TypeError(
        f"db={db!r} is not a database: give an SQLAlchemy engine or connection, "
        "an sqlite3 connection, or a URL such as 'sqlite:///runinfo/monitoring.db'"
    )


def app_counts_for_workflow(workflow_id: Any, db: DB) -> pd.DataFrame:
    """How many tasks of each app: columns ``task_func_name``, ``frequency``."""
    return _query(
        "SELECT task_func_name, COUNT(*) AS frequency FROM task "
        "WHERE run_id = :run_id GROUP BY task_func_name",
        db,
        run_id=workflow_id,
    )


def nodes_for_workflow(workflow_id: Any, db: DB) -> pd.DataFrame:
    """Every ``node`` row of the run."""
    return _query("SELECT * FROM node WHERE run_id = :run_id", db, run_id=workflow_id)


def resources_for_workflow(workflow_id: Any, db: DB) -> pd.DataFrame:
    """Every ``resource`` row of the run."""
    return _query("SELECT * FROM resource WHERE run_id = :run_id", db, run_id=workflow_id)


def resources_for_task(workflow_id: Any, task_id: Any, db: DB) -> pd.DataFrame:
    """The ``resource`` rows of one task of the run."""
    return _query(
        "SELECT * FROM resource WHERE run_id = :run_id AND task_id = :task_id",
        db,
        run_id=workflow_id,
        task_id=int(task_id),
    )


def status_for_workflow(workflow_id: Any, db: DB) -> pd.DataFrame:
    """Every state change of the run: ``run_id``, ``task_id``, ``task_status_name``, ``timestamp``."""
    return _query(
        "SELECT run_id, task_id, task_status_name, timestamp FROM status WHERE run_id = :run_id",
        db,
        run_id=workflow_id,
    )


def completion_times_for_workflow(workflow_id: Any, db: DB) -> pd.DataFrame:
    """When each task returned: ``task_id``, ``task_func_name``, ``task_time_returned``."""
    return _query(
        "SELECT task_id, task_func_name, task_time_returned FROM task WHERE run_id = :run_id",
        db,
        run_id=workflow_id,
    )


def tasks_for_workflow(workflow_id: Any, db: DB) -> pd.DataFrame:
    """Every ``task`` row of the run."""
    return _query("SELECT * FROM task WHERE run_id = :run_id", db, run_id=workflow_id)


def tries_for_workflow(workflow_id: Any, db: DB) -> pd.DataFrame:
    """Every try with its app: ``task_id``, ``task_func_name``, ``task_time_returned``,
    ``task_try_time_running``, ``task_try_time_returned``."""
    return _query(
        "SELECT task.task_id, task.task_func_name, task.task_time_returned, "
        '"try".task_try_time_running, "try".task_try_time_returned '
        'FROM task JOIN "try" ON task.task_id = "try".task_id AND task.run_id = "try".run_id '
        "WHERE task.run_id = :run_id",
        db,
        run_id=workflow_id,
    )

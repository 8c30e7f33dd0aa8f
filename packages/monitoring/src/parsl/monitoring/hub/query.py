"""Reading a monitoring database back as plain dicts: what tests and small scripts use.

Each function takes the database as an SQLAlchemy URL string
(``"sqlite:///runinfo/monitoring.db"``, ``"postgresql+psycopg://..."``), an
SQLite file path, or an :class:`~sqlalchemy.engine.Engine`. URLs and paths
are opened read-only (a missing file is an error, never created) and
closed again. Rows come back as dicts keyed by column name; times are
``datetime`` values, as stored. For DataFrames use
:mod:`parsl.monitoring.queries.pandas`.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Connection, Engine, Select, select
from sqlalchemy.engine import URL

from parsl.monitoring.db import tables
from parsl.monitoring.db.engine import open_for_reading

Database = str | os.PathLike[str] | URL | Engine
Row = dict[str, Any]


@contextmanager
def connect(db: Database) -> Iterator[Connection]:
    """A connection to ``db``; an engine opened here is disposed of afterwards."""
    if isinstance(db, Engine):
        with db.connect() as conn:
            yield conn
        return
    engine = open_for_reading(db)
    try:
        with engine.connect() as conn:
            yield conn
    finally:
        engine.dispose()


def _rows(db: Database, query: Select[Any]) -> list[Row]:
    with connect(db) as conn:
        return [dict(r) for r in conn.execute(query).mappings()]


def workflows(db: Database) -> list[Row]:
    """Every workflow run in the database, oldest first."""
    w = tables.workflow
    return _rows(db, select(w).order_by(w.c.time_began, w.c.run_id))


def tasks(db: Database, run_id: str) -> list[Row]:
    """The task rows of one run, by task id."""
    t = tables.task
    return _rows(db, select(t).where(t.c.run_id == run_id).order_by(t.c.task_id))


def tries(db: Database, run_id: str) -> list[Row]:
    """The try rows of one run, by task id and try id."""
    t = tables.try_
    return _rows(db, select(t).where(t.c.run_id == run_id).order_by(t.c.task_id, t.c.try_id))


def task_status_history(db: Database, run_id: str, task_id: int) -> list[Row]:
    """The states one task went through, in the order they happened."""
    s = tables.status
    return _rows(
        db,
        select(s)
        .where(s.c.run_id == run_id, s.c.task_id == task_id)
        .order_by(s.c.timestamp, s.c.try_id),
    )


def table_rows(db: Database, table: str, run_id: str) -> list[Row]:
    """Every row of ``table`` (``resource``, ``node``, ``block``, ...) for one run."""
    t = tables.TABLES[table]
    return _rows(db, select(t).where(t.c.run_id == run_id))

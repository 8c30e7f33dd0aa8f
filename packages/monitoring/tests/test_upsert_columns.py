"""Task and try upserts name only the columns a row gives, and store what the full statement stores.

The writer's upsert for rows that leave some columns out (unknown values)
leaves out of its ``SET`` list the updates that would keep those columns'
stored values anyway (``coalesce``), so the database does not rewrite the
indexes over them. These tests run the same batches of partly-known rows
through both statements, on SQLite and PostgreSQL, and compare what is
stored.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Collection
from datetime import datetime
from typing import Any

import pytest
from sqlalchemy import Table, select
from sqlalchemy.engine import make_url
from sqlalchemy.sql.dml import Insert

from parsl.monitoring.db import tables
from parsl.monitoring.db.engine import open_for_writing
from parsl.monitoring.db.rows import TASK_COLUMNS, TRY_COLUMNS, Row, sqlite_when
from parsl.monitoring.db.upsert import Prepared, upsert_task, upsert_try

T0 = 1_700_000_000.5


def _rows(
    table: Table, run_id: str, keys: list[tuple[int, ...]], rng: random.Random, stamp: Any
) -> list[Row]:
    """One row per key: the key, then each other column known (a value) or not (None)."""
    out = []
    for key in keys:
        row: list[Any] = []
        for col in table.columns:
            name = col.name
            if name == "run_id":
                row.append(run_id)
            elif col.primary_key:
                row.append(key[0] if name == "task_id" else key[1])
            elif name == "task_executor" and table is tables.try_:
                row.append(rng.choice(["", "htex", "threads"]))  # NOT NULL: '' is unknown
            elif col.nullable and rng.random() < 0.5:
                row.append(None)
            elif "time" in name:
                row.append(stamp(T0 + rng.randrange(100)))
            elif name in ("task_fail_count",):
                row.append(rng.randrange(3))
            elif name == "task_fail_cost":
                row.append(float(rng.randrange(3)))
            elif name == "task_status_name":
                row.append(rng.choice(["pending", "launched", "exec_done", "failed"]))
            else:
                row.append(f"{name}-{rng.randrange(4)}")
        out.append(tuple(row))
    return out


CASES = [
    (tables.task, TASK_COLUMNS, upsert_task, lambda k: (k,)),
    (tables.try_, TRY_COLUMNS, upsert_try, lambda k: (k // 2, k % 2)),
]


@pytest.mark.timeout(120)
@pytest.mark.parametrize("table, columns, upsert, key_of", CASES, ids=["task", "try"])
def test_narrowed_upserts_store_what_the_full_statement_stores(
    db_url: str,
    table: Table,
    columns: tuple[str, ...],
    upsert: Callable[..., Insert],
    key_of: Callable[[int], tuple[int, ...]],
) -> None:
    engine = open_for_writing(make_url(db_url))
    d = engine.dialect.name
    stamp: Any = sqlite_when if d == "sqlite" else datetime.fromtimestamp

    def narrowed(known: Collection[str]) -> Insert:
        return upsert(d, known)

    full = Prepared(upsert(d), engine.dialect, columns, ordered=False)
    narrow = Prepared(upsert(d), engine.dialect, columns, ordered=False, for_columns=narrowed)
    try:
        with engine.begin() as conn:
            for run_id in ("full", "narrow"):
                conn.execute(
                    tables.workflow.insert().values(
                        run_id=run_id,
                        time_began=datetime.fromtimestamp(T0),
                        host="h",
                        user="u",
                        rundir="r",
                        tasks_failed_count=0,
                        tasks_completed_count=0,
                    )
                )
        rng_keys = random.Random(3)
        rng_full, rng_narrow = random.Random(7), random.Random(7)  # the same rows for both
        for _ in range(12):  # batches; in each, one row per key (an upsert's rule)
            keys = [key_of(k) for k in rng_keys.sample(range(40), 25)]
            with engine.begin() as conn:
                full.run(conn, _rows(table, "full", keys, rng_full, stamp))
                narrow.run(conn, _rows(table, "narrow", keys, rng_narrow, stamp))
        with engine.connect() as conn:
            stored = {
                run_id: sorted(
                    tuple(v for c, v in zip(columns, r, strict=True) if c != "run_id")
                    for r in conn.execute(select(table).where(table.c.run_id == run_id))
                )
                for run_id in ("full", "narrow")
            }
    finally:
        engine.dispose()
    assert len(stored["full"]) >= 30
    assert stored["narrow"] == stored["full"]


def test_a_narrowed_upsert_updates_only_what_its_rows_can_change() -> None:
    # A task row without a hashsum leaves task_hashsum (and its index) alone on a conflict;
    # columns the full statement overwrites (with NULL, when unknown) are still set.
    known = [c for c in TASK_COLUMNS if c != "task_hashsum" and c != "task_stdout"]
    sql = str(upsert_task("sqlite", known).compile())
    updates = sql.split("DO UPDATE SET", 1)[1]
    assert "task_hashsum" not in updates
    assert "task_stdout = excluded.task_stdout" in updates
    assert "task_hashsum = coalesce" in str(upsert_task("sqlite").compile())
    # A try row that knows only its key and executor updates only the executor.
    try_sql = str(upsert_try("sqlite", ["try_id", "task_id", "run_id", "task_executor"]).compile())
    assert try_sql.split("DO UPDATE SET", 1)[1].count(" = ") == 2  # the CASE's own '=' too

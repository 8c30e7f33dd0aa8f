"""The writer's statements: upserts that name only what a row gives, multi-row inserts on SQLite.

The writer's upsert for rows that leave some columns out (unknown values)
leaves out of its ``SET`` list the updates that would keep those columns'
stored values anyway (``coalesce``), so the database does not rewrite the
indexes over them. These tests run the same batches of partly-known rows
through both statements, on SQLite and PostgreSQL, and compare what is
stored. On SQLite, many rows go as multi-row ``INSERT``s: stored whole and
in order.
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
from parsl.monitoring.db.rows import (
    BLOCK_COLUMNS,
    NODE_COLUMNS,
    TASK_COLUMNS,
    TRY_COLUMNS,
    Row,
    sqlite_when,
)
from parsl.monitoring.db.upsert import (
    Prepared,
    insert_ignoring_duplicates,
    multirow_qmark,
    upsert_task,
    upsert_try,
)

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


def test_multirow_qmark_repeats_the_values_row_and_refuses_parameters_elsewhere() -> None:
    one = "INSERT INTO t (a, b) VALUES (?, ?) ON CONFLICT (a) DO UPDATE SET b = excluded.b"
    assert multirow_qmark(one, 2, 3) == (
        "INSERT INTO t (a, b) VALUES (?, ?), (?, ?), (?, ?)"
        " ON CONFLICT (a) DO UPDATE SET b = excluded.b"
    )
    with pytest.raises(ValueError, match="not one row of 2"):
        multirow_qmark("INSERT INTO t (a) VALUES (?) ON CONFLICT DO UPDATE SET a = ?", 2, 2)
    with pytest.raises(ValueError, match="not one row of 3"):
        multirow_qmark(one, 3, 2)


@pytest.mark.timeout(60)
def test_many_rows_on_sqlite_are_stored_whole_and_in_order(sqlite_url: str) -> None:
    engine = open_for_writing(make_url(sqlite_url))
    stamp = sqlite_when
    node = Prepared(tables.node.insert(), engine.dialect, NODE_COLUMNS, ordered=True)
    status_columns = [c.name for c in tables.status.columns]
    status = Prepared(
        insert_ignoring_duplicates("sqlite", tables.status),
        engine.dialect,
        status_columns,
        ordered=True,
    )
    block = Prepared(
        insert_ignoring_duplicates("sqlite", tables.block),
        engine.dialect,
        BLOCK_COLUMNS,
        ordered=True,
    )
    # 150 nodes (two full multi-row chunks and a rest): their ids follow the rows' order.
    nodes = [
        (
            "r",
            f"host{k}",
            str(k),
            str(k % 7),
            2,
            1e9,
            True,
            1,
            "3",
            stamp(T0 + k),
            stamp(T0 + k),
        )
        for k in range(150)
    ]
    # blocks, every third without a job id: grouped by known columns, in order within each
    blocks = [("r", "htex", str(k), None if k % 3 == 0 else f"j{k}", stamp(T0 + k), "RUNNING")
              for k in range(300)]  # fmt: skip
    # status rows whose key repeats, also across chunks: the first of each is kept (its try id).
    statuses = [(k % 90, "running", stamp(T0 + k % 90), "r", k) for k in range(200)]
    try:
        with engine.begin() as conn:
            conn.execute(
                tables.workflow.insert().values(
                    run_id="r",
                    time_began=datetime.fromtimestamp(T0),
                    host="h",
                    user="u",
                    rundir="d",
                    tasks_failed_count=0,
                    tasks_completed_count=0,
                )
            )
            node.run(conn, nodes)
            status.run(conn, statuses)
            block.run(conn, blocks)
            stored_blocks = conn.execute(
                select(tables.block.c.block_id, tables.block.c.job_id)
            ).all()
            stored_nodes = conn.execute(
                select(tables.node.c.uid, tables.node.c.block_id).order_by(tables.node.c.id)
            ).all()
            stored_status = conn.execute(
                select(tables.status.c.task_id, tables.status.c.try_id)
            ).all()
    finally:
        engine.dispose()
    assert [tuple(r) for r in stored_nodes] == [(n[2], n[3]) for n in nodes]
    assert sorted(tuple(r) for r in stored_status) == [(k, k) for k in range(90)]
    assert sorted((int(b), j) for b, j in stored_blocks) == [(int(b[2]), b[3]) for b in blocks]

"""Rows whose values are partly unknown, or need converting, are stored as they were given.

The writer leaves a row's ``None`` values out of its statements (grouping the
rows of a batch by which values they have) and builds rows as tuples; these
tests mix such rows in one batch, on SQLite and PostgreSQL, and read back
what is stored.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, Table, create_engine, select
from sqlalchemy.engine import make_url

from parsl.dataflow.states import States
from parsl.monitoring.db import tables
from parsl.monitoring.db.engine import open_for_writing
from parsl.monitoring.db.rows import RowBatch, sqlite_when
from parsl.monitoring.db.upsert import (
    Prepared,
    insert_ignoring_duplicates,
    multirow,
    upsert_task,
)
from parsl.monitoring.hub import MonitoringHub, query
from parsl.monitoring.hub import writer as w
from parsl.monitoring.sink import TaskTransition
from parsl.monitoring.types import MessageType

S = States
at = datetime.fromtimestamp
T0 = 1_700_000_000.25


def _resource(task_id: int | str, stamp: Any, **values: Any) -> tuple[MessageType, dict[str, Any]]:
    return (
        MessageType.RESOURCE_INFO,
        {"task_id": task_id, "try_id": 0, "timestamp": stamp, **values},
    )


@pytest.mark.timeout(120)
def test_rows_with_different_unknown_values_in_one_batch_are_stored_as_given(
    started_hub: MonitoringHub, transition: Callable[..., TaskTransition], run_id: str
) -> None:
    hub = started_hub
    # Tasks whose rows know different columns, interleaved in one batch.
    hub.task_transition(transition(1, S.pending, timestamp=T0, executor=None, time_invoked=T0))
    hub.task_transition(
        transition(2, S.pending, timestamp=T0, hashsum="h2", task_inputs="['a.txt', 'b.txt']")
    )
    hub.task_transition(transition(1, S.launched, timestamp=T0 + 1, executor="htex"))
    hub.task_transition(
        transition(3, S.failed, timestamp=T0 + 2, fail_reason="ValueError: x", stdout="o.txt")
    )
    hub.task_transition(transition(1, S.exec_done, timestamp=T0 + 3, executor="htex"))
    # Resource samples: one with every value, one sparse, a str id and a datetime time,
    # a big int for a Float column; then a duplicate key whose values differ (the first stays).
    hub.send(
        _resource(
            1,
            T0 + 1.5,
            psutil_process_pid=77,
            psutil_process_memory_virtual=2**53 + 2,
            psutil_cpu_num=3,
            psutil_process_status="running",
            hostname="n1",
        )
    )
    hub.send(_resource("2", at(T0 + 2), psutil_process_time_user=1))
    hub.send(_resource(1, T0 + 2.5, psutil_process_pid=None, hostname="n1"))
    hub.send(_resource(1, T0 + 1.5, psutil_process_pid=88, hostname="later"))
    hub.close()
    db = hub.db_url
    assert db is not None and hub.writer_error is None

    tasks = {t["task_id"]: t for t in query.tasks(db, run_id)}
    one, two, three = tasks[1], tasks[2], tasks[3]
    assert (one["task_status_name"], one["task_executor"]) == ("exec_done", "htex")
    assert one["task_time_invoked"] == at(T0)
    assert one["task_time_returned"] == at(T0 + 3)
    assert (one["task_hashsum"], one["task_inputs"], one["task_fail_reason"]) == (None, None, None)
    assert (two["task_hashsum"], two["task_inputs"]) == ("h2", "['a.txt', 'b.txt']")
    assert two["task_time_returned"] is None and two["task_status_name"] == "pending"
    assert (three["task_fail_reason"], three["task_stdout"]) == ("ValueError: x", "o.txt")
    assert isinstance(one["task_fail_cost"], float) and one["task_fail_count"] == 0

    tries = {t["task_id"]: t for t in query.tries(db, run_id)}
    assert tries[1]["task_try_time_launched"] == at(T0 + 1)
    assert tries[1]["task_try_time_returned"] == at(T0 + 3)
    assert (tries[1]["hostname"], tries[1]["task_try_fail_reason"]) == (None, None)
    assert tries[3]["task_try_fail_reason"] == "ValueError: x"
    assert tries[3]["task_try_time_launched"] is None

    rows = query.table_rows(db, "resource", run_id)
    by_key = {(r["task_id"], r["timestamp"]): r for r in rows}
    assert len(rows) == 3
    full = by_key[1, at(T0 + 1.5)]
    assert (full["psutil_process_pid"], full["hostname"]) == (77, "n1")  # the first one stays
    assert full["psutil_process_memory_virtual"] == float(2**53 + 2)
    assert full["psutil_cpu_num"] == "3"
    assert full["psutil_process_time_system"] is None
    sparse = by_key[2, at(T0 + 2)]
    assert sparse["psutil_process_time_user"] == 1.0
    assert isinstance(sparse["psutil_process_time_user"], float)
    assert sparse["psutil_process_pid"] is None and sparse["hostname"] is None
    assert by_key[1, at(T0 + 2.5)]["psutil_process_pid"] is None


@pytest.mark.timeout(120)
def test_nodes_keep_their_order_whatever_values_they_have(
    started_hub: MonitoringHub, run_id: str
) -> None:
    hub = started_hub
    for k in range(6):
        body: dict[str, Any] = {
            "hostname": f"h{k}",
            "uid": f"m{k}",
            "block_id": "0",
            "cpu_count": 4,
            "total_memory": 8e9,
            "active": k % 2 == 0,
            "worker_count": 2,
            "python_v": "3.11",
            "timestamp": T0 + k,
            "last_heartbeat": T0 + k,
        }
        hub.send((MessageType.NODE_INFO, body))
    hub.close()
    assert hub.db_url is not None and hub.writer_error is None
    nodes = sorted(query.table_rows(hub.db_url, "node", run_id), key=lambda n: n["id"])
    assert [n["uid"] for n in nodes] == [f"m{k}" for k in range(6)]  # ids in arrival order
    assert [n["active"] for n in nodes] == [k % 2 == 0 for k in range(6)]


@pytest.fixture
def file_engine(tmp_path: Path) -> Iterator[Engine]:
    """A SQLite file database holding the monitoring tables; disposed afterwards."""
    engine = create_engine(f"sqlite:///{tmp_path}/t.db")
    tables.metadata.create_all(engine)
    try:
        yield engine
    finally:
        engine.dispose()


def insert_into(engine: Engine, table: Table) -> Prepared:
    """The writer's insert (duplicates ignored) of rows with all of ``table``'s columns, in order."""
    columns = [c.name for c in table.columns]
    return Prepared(
        insert_ignoring_duplicates("sqlite", table), engine.dialect, columns, ordered=True
    )


def test_prepared_leaves_unknown_values_out_and_stores_null(file_engine: Engine) -> None:
    stmt = insert_into(file_engine, tables.block)
    rows = [
        ("run", "htex", "0", "j1", sqlite_when(T0), "PENDING"),
        ("run", "htex", "0", None, sqlite_when(T0 + 1), "RUNNING"),
        ("run", "htex", "0", "j1", sqlite_when(T0 + 2), "DONE"),
    ]
    with file_engine.begin() as conn:
        stmt.run(conn, rows)
        stored = conn.execute(
            select(tables.block.c.job_id, tables.block.c.status).order_by(tables.block.c.timestamp)
        ).all()
    assert [tuple(r) for r in stored] == [("j1", "PENDING"), (None, "RUNNING"), ("j1", "DONE")]
    sql, pick = stmt.sql((True, True, True, False, True, True))
    assert "job_id" not in sql and pick is not None
    assert pick(rows[1]) == ("run", "htex", "0", sqlite_when(T0 + 1), "RUNNING")


def test_prepared_puts_values_in_the_statements_parameter_order() -> None:
    engine = create_engine("sqlite://")
    columns = [c.name for c in tables.task.columns][::-1]  # not the statement's order
    stmt = Prepared(upsert_task("sqlite"), engine.dialect, columns, ordered=False)
    _, pick = stmt.sql((True,) * len(columns))
    assert pick is not None
    assert pick(tuple(columns)) == tuple(c.name for c in tables.task.columns)
    with pytest.raises(ValueError, match="not the columns"):
        wrong = Prepared(upsert_task("sqlite"), engine.dialect, [*columns, "nope"], ordered=False)
        wrong.sql((True,) * (len(columns) + 1))
    engine.dispose()


def test_each_time_is_converted_with_the_batchs_stamp() -> None:
    batch = RowBatch("run-0001", stamp=lambda t: f"at {t - T0:g}")
    for dt, name in ((1, "launched"), (2, "running"), (3, "running_ended")):
        body = {"task_id": 1, "try_id": 0, "task_status_name": name, "timestamp": T0 + dt}
        batch.add_message((MessageType.TASK_INFO, body))
    assert [row[2] for row in batch.status] == ["at 1", "at 2", "at 3"]
    [attempt] = batch.try_rows
    assert "at 2" in attempt  # the try's running time


def test_multirow_numbers_each_rows_parameters_after_the_last() -> None:
    one = (
        "INSERT INTO t (a, b) VALUES ($1::INTEGER, $2) ON CONFLICT (a) DO UPDATE SET b = excluded.b"
    )
    assert multirow(one, 2, 3) == (
        "INSERT INTO t (a, b) VALUES ($1::INTEGER, $2), ($3::INTEGER, $4), ($5::INTEGER, $6)"
        " ON CONFLICT (a) DO UPDATE SET b = excluded.b"
    )
    assert multirow(one, 2, 1) == one
    with pytest.raises(ValueError, match="outside the VALUES"):
        multirow("INSERT INTO t (a) VALUES ($1) ON CONFLICT DO UPDATE SET a = $2", 1, 2)


@pytest.mark.timeout(120)
def test_a_batch_of_many_rows_in_several_statements_is_stored_whole(
    started_hub: MonitoringHub, transition: Callable[..., TaskTransition], run_id: str
) -> None:
    hub = started_hub
    n = 700  # on PostgreSQL: statements of 512, 128, 32, 16, 8 and 4 rows
    for k in range(n):
        hub.task_transition(
            transition(k, S.exec_done, timestamp=T0 + k, hashsum=None if k % 3 else f"h{k}")
        )
    hub.close()
    assert hub.db_url is not None and hub.writer_error is None
    tasks = {t["task_id"]: t for t in query.tasks(hub.db_url, run_id)}
    assert sorted(tasks) == list(range(n))
    assert all(tasks[k]["task_hashsum"] == (None if k % 3 else f"h{k}") for k in range(n))
    assert all(tasks[k]["task_time_returned"] == at(T0 + k) for k in range(n))
    assert len(query.table_rows(hub.db_url, "status", run_id)) == n


def test_a_none_in_a_table_without_nullable_columns_is_refused(file_engine: Engine) -> None:
    from sqlalchemy.exc import IntegrityError

    stmt = insert_into(file_engine, tables.status)
    assert stmt.never_null
    with pytest.raises(IntegrityError), file_engine.begin() as conn:
        stmt.run(conn, [(1, "pending", sqlite_when(T0), None, 0)])


Idle = tuple[w.DatabaseWriter, queue.SimpleQueue[Any]]


@pytest.fixture
def idle_writer(sqlite_url: str) -> Iterator[Idle]:
    """A writer (its thread not started) and its queue, to call _next_batch on directly."""
    url = make_url(sqlite_url)
    events: queue.SimpleQueue[Any] = queue.SimpleQueue()
    writer = w.DatabaseWriter(open_for_writing(url), url, events, "run-0001")
    try:
        yield writer, events
    finally:
        writer.engine.dispose()


def test_the_writer_gathers_longer_only_after_a_big_batch(idle_writer: Idle) -> None:
    writer, events = idle_writer
    assert writer.gather_s == w.GATHER_S
    events.put(["event"] * w.BUSY_BATCH)  # a frame from the workflow: taken whole
    assert len(writer._next_batch()) == w.BUSY_BATCH
    assert writer.gather_s == w.BUSY_GATHER_S
    events.put("event")
    assert writer._next_batch() == ["event"]
    assert writer.gather_s == w.GATHER_S  # idle again: a lone event waits GATHER_S only


@pytest.mark.timeout(20)
def test_a_frame_ending_with_a_flush_is_written_without_gathering(idle_writer: Idle) -> None:
    writer, events = idle_writer
    writer.gather_s = 30.0  # were it to gather, the test would time out
    flush = w.FlushRequest()
    events.put(["event", "event", flush])
    assert writer._next_batch() == ["event", "event", flush]


@pytest.mark.timeout(20)
def test_a_full_frame_is_written_without_gathering(idle_writer: Idle) -> None:
    writer, events = idle_writer
    writer.gather_s = 30.0  # were it to gather, the test would time out
    events.put(["event"] * w.MAX_BATCH)
    events.put(["later"])
    assert writer._next_batch() == ["event"] * w.MAX_BATCH  # the next frame waits its turn
    assert writer.gather_s == w.BUSY_GATHER_S


@pytest.mark.timeout(20)
def test_a_backlog_that_fills_a_batch_is_written_without_gathering(idle_writer: Idle) -> None:
    # Frames waiting already (the writer fell behind): written back to back. Gathering
    # after each one would cap the writer at MAX_BATCH events per gathering time.
    writer, events = idle_writer
    writer.gather_s = 30.0  # were it to gather, the test would time out
    frame = ["event"] * (w.MAX_BATCH // 4)
    for _ in range(6):
        events.put(list(frame))
    assert writer._next_batch() == frame * 4
    assert writer.gather_s == w.BUSY_GATHER_S
    assert writer._next_batch() == frame * 2  # the rest, gathered for BUSY_GATHER_S


@pytest.mark.timeout(20)
def test_a_batch_short_of_full_still_gathers(idle_writer: Idle) -> None:
    writer, events = idle_writer
    writer.gather_s = 0.3
    events.put(["event"] * 10)
    events.put(["waiting"])
    later = threading.Timer(0.1, events.put, (["later"],))
    later.start()
    started = time.monotonic()
    assert writer._next_batch() == ["event"] * 10 + ["waiting", "later"]
    assert time.monotonic() - started >= 0.3
    later.join()

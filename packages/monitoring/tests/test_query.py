"""The read-only query helpers."""

from __future__ import annotations

import socket
import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from parsl.dataflow.states import States
from parsl.monitoring.hub import MonitoringDatabaseError, MonitoringHub, open_for_reading, query
from parsl.monitoring.sink import TaskTransition


def test_missing_database_is_a_clear_error_and_is_not_created(tmp_path: Path, run_id: str) -> None:
    path = tmp_path / "nothing.db"
    for call in (
        lambda: query.workflows(path),
        lambda: query.tasks(path, run_id),
        lambda: query.task_status_history(path, run_id, 0),
    ):
        with pytest.raises(MonitoringDatabaseError, match="no monitoring database"):
            call()
    assert not path.exists()


def test_sqlite_file_without_the_schema_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "other.db"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE unrelated (x)")
    conn.commit()
    conn.close()
    with pytest.raises(MonitoringDatabaseError, match="not a parsl monitoring database"):
        query.workflows(path)


def test_garbage_file_is_refused(tmp_path: Path, run_id: str) -> None:
    path = tmp_path / "garbage.db"
    path.write_bytes(b"\x00garbage" * 1000)
    with pytest.raises(MonitoringDatabaseError, match="cannot read monitoring database"):
        query.tasks(path, run_id)


def test_unknown_run_and_task_give_empty_lists(
    started_hub: MonitoringHub, transition: Callable[..., TaskTransition], run_id: str
) -> None:
    started_hub.task_transition(transition(0, States.pending))
    started_hub.close()
    db = started_hub.db_url
    assert db is not None
    assert query.tasks(db, "no-such-run") == []
    assert query.task_status_history(db, run_id, 99) == []


def test_readers_see_committed_rows_while_the_hub_is_running(
    started_hub: MonitoringHub, transition: Callable[..., TaskTransition], run_id: str
) -> None:
    db = started_hub.db_url
    assert db is not None
    started_hub.task_transition(transition(4, States.pending))
    assert started_hub.flush()
    assert [t["task_id"] for t in query.tasks(db, run_id)] == [4]
    [wf] = query.workflows(db)
    assert wf["time_completed"] is None
    started_hub.task_transition(transition(5, States.pending))
    assert started_hub.flush()
    assert [t["task_id"] for t in query.tasks(db, run_id)] == [4, 5]
    # Queries never write: the writer commits on after them.
    started_hub.task_transition(transition(4, States.exec_done))
    assert started_hub.flush()
    assert query.tasks(db, run_id)[0]["task_status_name"] == "exec_done"


def test_a_reader_engine_cannot_write(
    started_hub: MonitoringHub, transition: Callable[..., TaskTransition], run_id: str
) -> None:
    started_hub.task_transition(transition(0, States.pending))
    assert started_hub.flush()
    assert started_hub.db_url is not None
    engine = open_for_reading(started_hub.db_url)
    try:
        with pytest.raises(DBAPIError, match="read-only|readonly"), engine.begin() as conn:
            conn.execute(text("DELETE FROM task"))
        rows = query.tasks(engine, run_id)  # an engine is used as it is, and left open
        assert [r["task_id"] for r in rows] == [0]
        assert query.table_rows(engine, "workflow", run_id)[0]["workflow_name"] == "wf"
    finally:
        engine.dispose()


def test_reading_a_server_that_is_not_there_is_a_clear_error() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # nothing listens here once closed
    url = f"postgresql+psycopg://nobody@127.0.0.1:{port}/nothing"
    with pytest.raises(MonitoringDatabaseError, match=f"cannot read monitoring database .*{port}"):
        query.workflows(url)

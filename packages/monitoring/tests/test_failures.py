"""A broken database, a dead or stuck writer, and misuse never hang the workflow."""

from __future__ import annotations

import logging
import shutil
import sqlite3
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from parsl.dataflow.states import States
from parsl.errors import ConfigurationError, ParslError
from parsl.monitoring.db.tables import SCHEMA_VERSION
from parsl.monitoring.hub import (
    MonitoringDatabaseError,
    MonitoringEventError,
    MonitoringHub,
    MonitoringSchemaError,
    MonitoringStateError,
    query,
)
from parsl.monitoring.sink import TaskTransition
from parsl.monitoring.types import MessageType

S = States


def wait_for_failure(hub: MonitoringHub, timeout: float = 10.0) -> None:
    writer = hub._writer
    assert writer is not None
    assert writer.failed.wait(timeout), "the writer did not notice the broken database"


def errors(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.levelno >= logging.ERROR]


def test_writer_dies_on_a_damaged_database_and_events_are_dropped_with_one_error(
    make_hub: Callable[..., MonitoringHub],
    sqlite_url: str,
    db_path: str,
    run_dir: str,
    caplog: pytest.LogCaptureFixture,
    transition: Callable[..., TaskTransition],
    run_id: str,
) -> None:
    hub = make_hub(logging_endpoint=sqlite_url)
    hub.start(run_id, run_dir)
    assert hub.flush()
    other = sqlite3.connect(db_path)
    other.execute("DROP TABLE status")
    other.commit()
    other.close()
    with caplog.at_level(logging.WARNING):
        hub.task_transition(transition(0, S.pending))
        wait_for_failure(hub)
        assert isinstance(hub.writer_error, MonitoringDatabaseError)
        assert "no such table: status" in str(hub.writer_error)
        begin = time.monotonic()
        for tid in range(1, 501):
            hub.task_transition(transition(tid, S.pending))
        hub.send((MessageType.BLOCK_INFO, {"block_id": "0"}))
        hub.workflow_end(run_id, 0, 0)
        assert time.monotonic() - begin < 1.0
        assert hub.dropped_events == 502
        assert hub.flush(timeout=1) is False
        begin = time.monotonic()
        hub.close()
        assert time.monotonic() - begin < 1.0
    [message] = errors(caplog)  # the loss is reported once
    assert "no such table: status" in message.getMessage()
    assert "workflow itself carries on" in message.getMessage()


def test_removing_the_database_directory_stops_the_writer_cleanly(
    make_hub: Callable[..., MonitoringHub],
    sqlite_url: str,
    db_path: str,
    run_dir: str,
    caplog: pytest.LogCaptureFixture,
    transition: Callable[..., TaskTransition],
    run_id: str,
) -> None:
    hub = make_hub(logging_endpoint=sqlite_url)
    hub.start(run_id, run_dir)
    hub.task_transition(transition(0, S.pending))
    assert hub.flush()
    shutil.rmtree(Path(db_path).parent)
    with caplog.at_level(logging.ERROR):
        hub.task_transition(transition(0, S.launched))
        wait_for_failure(hub)
        for _ in range(10):
            hub.task_transition(transition(0, S.exec_done))
        hub.close()
    assert "was removed" in str(hub.writer_error)
    assert len(errors(caplog)) == 1
    assert hub.dropped_events == 10
    assert not Path(db_path).exists()  # no silent re-creation


@pytest.mark.timeout(60)
def test_close_returns_in_bounded_time_while_the_writer_is_stuck(
    make_hub: Callable[..., MonitoringHub],
    sqlite_url: str,
    db_path: str,
    run_dir: str,
    caplog: pytest.LogCaptureFixture,
    transition: Callable[..., TaskTransition],
    run_id: str,
) -> None:
    hub = make_hub(logging_endpoint=sqlite_url, close_timeout=0.5)
    hub.start(run_id, run_dir)
    assert hub.flush()
    blocker = sqlite3.connect(db_path, isolation_level=None)
    try:
        blocker.execute("BEGIN EXCLUSIVE")
        hub.task_transition(transition(0, S.pending))
        begin = time.monotonic()
        with caplog.at_level(logging.ERROR):
            hub.close()
        assert 0.4 < time.monotonic() - begin < 3.0
        assert any("did not finish within" in r.getMessage() for r in caplog.records)
        writer = hub._writer
        assert writer is not None and writer.is_alive()
        hub.task_transition(transition(0, S.launched))  # after close: dropped
        assert hub.dropped_events == 1
        blocker.execute("ROLLBACK")
    finally:
        blocker.close()
    writer.join(30)
    assert not writer.is_alive()
    # The writer finished once the lock was released: the queued event is there.
    assert [r["task_status_name"] for r in query.task_status_history(db_path, run_id, 0)] == [
        "pending"
    ]


def test_start_refuses_a_file_that_is_not_a_database(
    make_hub: Callable[..., MonitoringHub], tmp_path: Path, run_dir: str, run_id: str
) -> None:
    bogus = tmp_path / "notes.db"
    bogus.write_text("this is not an SQLite database\n" * 100)
    hub = make_hub(logging_endpoint=f"sqlite:///{bogus}")
    with pytest.raises(
        MonitoringDatabaseError, match=r"cannot open monitoring database .*notes\.db"
    ):
        hub.start(run_id, run_dir)
    hub.close()


def test_start_refuses_a_database_whose_directory_cannot_be_made(
    make_hub: Callable[..., MonitoringHub], tmp_path: Path, run_dir: str, run_id: str
) -> None:
    (tmp_path / "a_file").write_text("x")
    hub = make_hub(logging_endpoint=f"sqlite:///{tmp_path}/a_file/monitoring.db")
    with pytest.raises(MonitoringDatabaseError, match="cannot create the directory of"):
        hub.start(run_id, run_dir)


def test_start_refuses_another_schema_version_and_leaves_the_database_alone(
    make_hub: Callable[..., MonitoringHub],
    db_url: str,
    run_dir: str,
    run_id: str,
) -> None:
    first = make_hub(logging_endpoint=db_url)
    first.start("older-run", run_dir)
    first.close()
    engine = create_engine(db_url)
    with engine.begin() as conn:
        conn.execute(text(f"UPDATE parsl_schema SET version = {SCHEMA_VERSION + 1}"))
    engine.dispose()
    hub = make_hub(logging_endpoint=db_url)
    with pytest.raises(MonitoringSchemaError, match=f"schema version {SCHEMA_VERSION + 1}") as info:
        hub.start(run_id, run_dir)
    assert "new database" in str(info.value)
    assert isinstance(info.value, MonitoringDatabaseError)
    with pytest.raises(MonitoringSchemaError, match="schema version"):
        query.workflows(db_url)
    assert hub._writer is None


@pytest.mark.parametrize(
    "old_schema",
    [
        # this package's schema 1 (REAL times, SQLite user_version)
        "CREATE TABLE workflow (run_id TEXT PRIMARY KEY, time_began REAL); PRAGMA user_version = 1;",
        # a database written by Parsl itself (no parsl_schema table)
        "CREATE TABLE workflow (run_id TEXT PRIMARY KEY, time_began DATETIME);"
        "CREATE TABLE task (task_id INTEGER, run_id TEXT);",
    ],
)
def test_start_refuses_monitoring_tables_without_our_schema_version(
    make_hub: Callable[..., MonitoringHub], db_path: str, run_dir: str, run_id: str, old_schema: str
) -> None:
    Path(db_path).parent.mkdir(parents=True)
    conn = sqlite3.connect(db_path)
    conn.executescript(old_schema)
    conn.close()
    hub = make_hub(logging_endpoint=f"sqlite:///{db_path}")
    with pytest.raises(MonitoringSchemaError, match="another schema"):
        hub.start(run_id, run_dir)
    conn = sqlite3.connect(db_path)
    names = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    conn.close()
    assert "parsl_schema" not in names  # nothing was added to the foreign database


def test_start_twice_or_after_close_is_refused(
    started_hub: MonitoringHub, make_hub: Callable[..., MonitoringHub], run_dir: str, run_id: str
) -> None:
    with pytest.raises(MonitoringStateError, match="already started"):
        started_hub.start("another-run", run_dir)
    closed = make_hub()
    closed.close()
    with pytest.raises(MonitoringStateError, match="after close"):
        closed.start(run_id, run_dir)
    assert issubclass(MonitoringStateError, ParslError)


@pytest.mark.parametrize(
    ("run_id", "run_dir"), [(None, "runinfo/000"), ("", "runinfo/000"), ("r", 3), ("r", "")]
)
def test_start_checks_its_arguments(
    make_hub: Callable[..., MonitoringHub], run_id: object, run_dir: object
) -> None:
    hub = make_hub()
    with pytest.raises(ConfigurationError):
        hub.start(run_id, run_dir)  # type: ignore[arg-type]
    assert hub._writer is None


def test_task_transition_rejects_what_is_not_a_transition(
    started_hub: MonitoringHub, transition: Callable[..., TaskTransition]
) -> None:
    with pytest.raises(MonitoringEventError, match="TaskTransition"):
        started_hub.task_transition({"task_id": 1, "state": "pending"})  # type: ignore[arg-type]
    assert issubclass(MonitoringEventError, TypeError)
    for bad in ({"task_id": 1}, ("TASK_INFO", {}), (MessageType.TASK_INFO, [1]), (1, 2, 3)):
        with pytest.raises(MonitoringEventError, match="MessageType, dict"):
            started_hub.send(bad)  # type: ignore[arg-type]
    # The bad event never reached the writer, which carries on.
    started_hub.task_transition(transition(0, S.pending))
    assert started_hub.flush()


@pytest.mark.parametrize(
    ("args", "field"),
    [
        (("run-0001", -1, 0), "tasks_completed"),
        (("run-0001", 0, "2"), "tasks_failed"),
        ((5, 0, 0), "run_id"),
    ],
)
def test_workflow_end_checks_its_arguments(
    started_hub: MonitoringHub, args: tuple[object, object, object], field: str
) -> None:
    with pytest.raises(ConfigurationError) as info:
        started_hub.workflow_end(*args)  # type: ignore[arg-type]
    assert info.value.field == field


def test_the_workflow_row_is_written_by_start_or_start_fails(
    make_hub: Callable[..., MonitoringHub], sqlite_url: str, db_path: str, run_dir: str
) -> None:
    first = make_hub(logging_endpoint=sqlite_url)
    first.start("first-run", run_dir)
    # Committed before start() returns, not left on the writer's queue.
    assert [w["run_id"] for w in query.workflows(db_path)] == ["first-run"]
    conn = sqlite3.connect(db_path)
    conn.execute(
        "CREATE TRIGGER no_more BEFORE INSERT ON workflow "
        "BEGIN SELECT RAISE(ABORT, 'no new workflows here'); END"
    )
    conn.commit()
    conn.close()
    second = make_hub(logging_endpoint=sqlite_url)
    with pytest.raises(
        MonitoringDatabaseError, match="cannot record the workflow.*no new workflows"
    ):
        second.start("second-run", run_dir)
    assert second._writer is None


def test_a_writer_process_that_cannot_start_is_parsls_router_start_error(
    make_hub: Callable[..., MonitoringHub],
    sqlite_url: str,
    run_dir: str,
    run_id: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import sys

    from parsl.monitoring.errors import MonitoringRouterStartError

    hub = make_hub(logging_endpoint=sqlite_url)
    monkeypatch.setattr(sys, "executable", str(tmp_path / "no-such-python"))
    with pytest.raises(
        MonitoringRouterStartError, match="cannot start the monitoring writer"
    ) as info:
        hub.start(run_id, run_dir)
    assert isinstance(info.value, MonitoringDatabaseError)  # caught as before, too
    monkeypatch.undo()
    hub.close()

"""Driving MonitoringHub directly with TaskTransitions, and reading the database back."""

from __future__ import annotations

import logging
import os
import sqlite3
import threading
import time
from collections.abc import Callable

import pytest

from parsl.dataflow.states import States
from parsl.monitoring.hub import MonitoringHub, query
from parsl.monitoring.sink import TaskTransition

S = States


def history(db: str, task_id: int, run_id: str = "run-0001") -> list[str]:
    return [r["task_status_name"] for r in query.task_status_history(db, run_id, task_id)]


def test_workflow_row_records_start_and_end(
    started_hub: MonitoringHub, run_dir: str, run_id: str
) -> None:
    before = time.time()
    started_hub.workflow_end(run_id, tasks_completed=3, tasks_failed=1)
    started_hub.close()
    assert started_hub.db_path is not None
    [wf] = query.workflows(started_hub.db_path)
    assert wf["run_id"] == run_id
    assert (wf["workflow_name"], wf["workflow_version"]) == ("wf", "1.0")
    assert wf["rundir"] == run_dir
    assert wf["tasks_completed_count"] == 3
    assert wf["tasks_failed_count"] == 1
    assert wf["time_completed"] is not None
    assert wf["time_began"] <= before <= wf["time_completed"]
    assert wf["host"]
    assert wf["user"]


def test_default_names_and_default_database_location(
    make_hub: Callable[..., MonitoringHub], run_dir: str, run_id: str
) -> None:
    hub = make_hub()
    hub.start(run_id, run_dir)
    hub.close()
    expected = os.path.join(os.path.dirname(run_dir), "monitoring.db")
    assert hub.db_path == expected
    [wf] = query.workflows(expected)
    assert wf["workflow_name"]  # the script's name
    assert wf["workflow_version"] is not None
    assert wf["workflow_version"][:2] == "20"  # the start date
    assert wf["time_completed"] is None  # workflow_end was never called


def test_one_status_row_per_transition_in_order(
    started_hub: MonitoringHub, transition: Callable[..., TaskTransition], run_id: str
) -> None:
    states = [S.pending, S.launched, S.running, S.running_ended, S.exec_done]
    t0 = time.time()
    for i, st in enumerate(states):
        started_hub.task_transition(transition(0, st, timestamp=t0 + i))
    started_hub.close()
    db = started_hub.db_path
    assert db is not None
    rows = query.task_status_history(db, run_id, 0)
    assert [r["task_status_name"] for r in rows] == [s.name for s in states]
    assert [r["timestamp"] for r in rows] == [t0 + i for i in range(len(states))]
    assert all(r["try_id"] == 0 and r["task_id"] == 0 and r["run_id"] == run_id for r in rows)


def test_same_timestamp_keeps_arrival_order(
    started_hub: MonitoringHub, transition: Callable[..., TaskTransition]
) -> None:
    t = time.time()
    for st in (S.pending, S.launched, S.exec_done):
        started_hub.task_transition(transition(7, st, timestamp=t))
    started_hub.close()
    assert started_hub.db_path is not None
    assert history(started_hub.db_path, 7) == ["pending", "launched", "exec_done"]


def test_task_row_follows_the_task_to_its_final_state(
    started_hub: MonitoringHub, transition: Callable[..., TaskTransition], run_id: str
) -> None:
    t0 = 1000.0
    started_hub.task_transition(transition(1, S.pending, timestamp=t0, executor=None))
    started_hub.task_transition(transition(1, S.launched, timestamp=t0 + 1))
    assert started_hub.flush()
    db = started_hub.db_path
    assert db is not None
    [live] = query.tasks(db, run_id)
    assert live["task_status_name"] == "launched"
    assert live["task_time_returned"] is None
    assert live["task_executor"] == "threads"

    started_hub.task_transition(transition(1, S.exec_done, timestamp=t0 + 2))
    started_hub.close()
    [done] = query.tasks(db, run_id)
    assert done["task_id"] == 1
    assert done["task_func_name"] == "add"
    assert done["task_status_name"] == "exec_done"
    assert done["task_time_invoked"] == t0
    assert done["task_time_returned"] == t0 + 2
    assert done["task_try_count"] == 1
    assert done["task_fail_count"] == 0
    assert done["task_fail_reason"] is None


def test_retries_count_tries_failures_and_keep_the_last_reason(
    started_hub: MonitoringHub, transition: Callable[..., TaskTransition], run_id: str
) -> None:
    t = 50.0
    seq = [
        (S.pending, 0, None),
        (S.launched, 0, None),
        (S.fail_retryable, 0, "ValueError('first')"),
        (S.pending, 1, None),
        (S.launched, 1, None),
        (S.failed, 1, "ValueError('second')"),
    ]
    for i, (st, try_id, reason) in enumerate(seq):
        started_hub.task_transition(
            transition(2, st, try_id=try_id, timestamp=t + i, fail_reason=reason)
        )
    started_hub.close()
    db = started_hub.db_path
    assert db is not None
    [task] = query.tasks(db, run_id)
    assert task["task_status_name"] == "failed"
    assert task["task_try_count"] == 2
    assert task["task_fail_count"] == 2
    assert task["task_fail_reason"] == "ValueError('second')"
    assert task["task_time_returned"] == t + 5
    rows = query.task_status_history(db, run_id, 2)
    assert [(r["task_status_name"], r["try_id"]) for r in rows] == [
        (st.name, try_id) for st, try_id, _ in seq
    ]


def test_a_final_state_is_never_overwritten(
    started_hub: MonitoringHub, transition: Callable[..., TaskTransition], run_id: str
) -> None:
    started_hub.task_transition(transition(3, S.pending, timestamp=1.0))
    started_hub.task_transition(transition(3, S.dep_fail, timestamp=2.0, fail_reason="dep"))
    started_hub.task_transition(transition(3, S.running, timestamp=3.0))  # a stray late event
    started_hub.close()
    assert started_hub.db_path is not None
    [task] = query.tasks(started_hub.db_path, run_id)
    assert task["task_status_name"] == "dep_fail"
    assert task["task_time_returned"] == 2.0
    assert history(started_hub.db_path, 3) == ["pending", "dep_fail", "running"]


def test_events_before_start_are_written_once_started(
    make_hub: Callable[..., MonitoringHub],
    db_url: str,
    run_dir: str,
    transition: Callable[..., TaskTransition],
    run_id: str,
) -> None:
    hub = make_hub(logging_endpoint=db_url)
    hub.task_transition(transition(0, S.pending))
    assert hub.flush() is False  # nothing can be written before start()
    hub.start(run_id, run_dir)
    hub.task_transition(transition(0, S.launched))
    hub.close()
    assert hub.db_path is not None
    assert history(hub.db_path, 0) == ["pending", "launched"]


@pytest.mark.timeout(60)
def test_thousands_of_events_from_many_threads_all_arrive(
    started_hub: MonitoringHub, transition: Callable[..., TaskTransition], run_id: str
) -> None:
    n_threads, n_tasks = 8, 500
    states = [S.pending, S.launched, S.running, S.exec_done]

    def submit(offset: int) -> None:
        for tid in range(offset, offset + n_tasks):
            for st in states:
                started_hub.task_transition(transition(tid, st))

    threads = [threading.Thread(target=submit, args=(k * n_tasks,)) for k in range(n_threads)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    started_hub.close()
    db = started_hub.db_path
    assert db is not None
    rows = query.tasks(db, run_id)
    assert len(rows) == n_threads * n_tasks
    assert {r["task_status_name"] for r in rows} == {"exec_done"}
    with sqlite3.connect(db) as conn:
        (count,) = conn.execute("SELECT COUNT(*) FROM status").fetchone()
    conn.close()
    assert count == n_threads * n_tasks * len(states)
    assert history(db, 1234) == [s.name for s in states]


def test_queued_events_are_written_in_batches(
    make_hub: Callable[..., MonitoringHub],
    db_url: str,
    run_dir: str,
    caplog: pytest.LogCaptureFixture,
    transition: Callable[..., TaskTransition],
    run_id: str,
) -> None:
    hub = make_hub(logging_endpoint=db_url, monitoring_debug=True)
    for tid in range(3000):
        hub.task_transition(transition(tid, S.pending))
    with caplog.at_level(logging.DEBUG, logger="parsl.monitoring.hub"):
        hub.start(run_id, run_dir)  # 3000 events already waiting
        hub.close()
    commits = [r for r in caplog.records if "committed" in r.getMessage()]
    assert 1 <= len(commits) <= 3  # not one transaction per event
    assert hub.db_path is not None
    assert len(query.tasks(hub.db_path, run_id)) == 3000


def test_task_transition_does_not_wait_for_a_locked_database(
    started_hub: MonitoringHub, db_path: str, transition: Callable[..., TaskTransition], run_id: str
) -> None:
    assert started_hub.flush()
    blocker = sqlite3.connect(db_path, isolation_level=None)
    try:
        blocker.execute("BEGIN EXCLUSIVE")  # the writer now cannot commit
        begin = time.monotonic()
        for tid in range(2000):
            started_hub.task_transition(transition(tid, S.pending))
        assert time.monotonic() - begin < 1.0
        assert started_hub.flush(timeout=0.3) is False  # still stuck behind the lock
        blocker.execute("ROLLBACK")
    finally:
        blocker.close()
    assert started_hub.flush()
    assert len(query.tasks(db_path, run_id)) == 2000


def test_close_flushes_and_is_idempotent(
    started_hub: MonitoringHub, transition: Callable[..., TaskTransition], run_id: str
) -> None:
    for tid in range(100):
        started_hub.task_transition(transition(tid, S.pending))
    started_hub.close()
    writer = started_hub._writer
    assert writer is not None and not writer.is_alive()
    started_hub.close()  # again: nothing happens, nothing raises
    assert started_hub.db_path is not None
    assert len(query.tasks(started_hub.db_path, run_id)) == 100
    assert writer.events_written == 100


def test_close_without_start_does_nothing(make_hub: Callable[..., MonitoringHub]) -> None:
    hub = make_hub()
    hub.close()
    hub.close()
    assert hub.db_path is None


def test_two_runs_share_one_database(
    make_hub: Callable[..., MonitoringHub],
    db_url: str,
    run_dir: str,
    transition: Callable[..., TaskTransition],
) -> None:
    first = make_hub(logging_endpoint=db_url)
    second = make_hub(logging_endpoint=db_url)
    first.start("run-a", run_dir)
    second.start("run-b", run_dir)
    for hub, run_id in ((first, "run-a"), (second, "run-b")):
        for tid in range(20):
            hub.task_transition(transition(tid, S.pending, run_id=run_id))
            hub.task_transition(transition(tid, S.exec_done, run_id=run_id))
    first.close()
    second.close()
    assert first.db_path is not None
    assert {w["run_id"] for w in query.workflows(first.db_path)} == {"run-a", "run-b"}
    for run_id in ("run-a", "run-b"):
        rows = query.tasks(first.db_path, run_id)
        assert [r["task_id"] for r in rows] == list(range(20))
        assert all(r["run_id"] == run_id for r in rows)

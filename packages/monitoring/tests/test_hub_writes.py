"""Driving MonitoringHub directly with TaskTransitions, and reading the database back.

Tests taking ``db_url`` or ``started_hub`` run on SQLite and on a real PostgreSQL server.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import threading
import time
from collections.abc import Callable
from datetime import datetime

import pytest

from parsl.dataflow.states import States
from parsl.monitoring.hub import MonitoringHub, query
from parsl.monitoring.sink import TaskTransition

S = States
at = datetime.fromtimestamp


def history(db: object, task_id: int, run_id: str = "run-0001") -> list[str]:
    return [r["task_status_name"] for r in query.task_status_history(db, run_id, task_id)]  # type: ignore[arg-type]


def db_of(hub: MonitoringHub) -> object:
    assert hub.db_url is not None
    return hub.db_url


def test_workflow_row_records_start_and_end(
    started_hub: MonitoringHub, run_dir: str, run_id: str
) -> None:
    before = time.time()
    started_hub.workflow_end(run_id, tasks_completed=3, tasks_failed=1)
    started_hub.close()
    [wf] = query.workflows(db_of(started_hub))  # type: ignore[arg-type]
    assert wf["run_id"] == run_id
    assert (wf["workflow_name"], wf["workflow_version"]) == ("wf", "1.0")
    assert wf["rundir"] == run_dir
    assert wf["tasks_completed_count"] == 3
    assert wf["tasks_failed_count"] == 1
    assert wf["time_completed"] is not None
    assert wf["time_began"] <= at(before) <= wf["time_completed"]
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
    assert hub.db_url is not None and hub.db_url.get_backend_name() == "sqlite"
    assert wf["time_completed"] is None  # workflow_end was never called


def test_one_status_row_per_transition_in_order(
    started_hub: MonitoringHub, transition: Callable[..., TaskTransition], run_id: str
) -> None:
    states = [S.pending, S.launched, S.running, S.running_ended, S.exec_done]
    t0 = time.time()
    for i, st in enumerate(states):
        started_hub.task_transition(transition(0, st, timestamp=t0 + i))
    started_hub.close()
    rows = query.task_status_history(db_of(started_hub), run_id, 0)  # type: ignore[arg-type]
    assert [r["task_status_name"] for r in rows] == [s.name for s in states]
    assert [r["timestamp"] for r in rows] == [at(t0 + i) for i in range(len(states))]
    assert all(r["try_id"] == 0 and r["task_id"] == 0 and r["run_id"] == run_id for r in rows)


def test_task_row_follows_the_task_to_its_final_state(
    started_hub: MonitoringHub, transition: Callable[..., TaskTransition], run_id: str
) -> None:
    t0 = 1000.0
    facts = {
        "time_invoked": t0,
        "depends": (4, 5),
        "memoize": True,
        "hashsum": "abc123",
        "task_inputs": "[42, 'x']",
        "task_outputs": "[<File at 0x1 url=out.txt scheme=file netloc= path=out.txt>]",
        "stdout": "/tmp/out",
        "stderr": "/tmp/err",
        "stdin": "/tmp/in",
    }
    started_hub.task_transition(transition(1, S.pending, timestamp=t0, executor=None, **facts))
    started_hub.task_transition(transition(1, S.launched, timestamp=t0 + 1, **facts))
    assert started_hub.flush()
    db = db_of(started_hub)
    [live] = query.tasks(db, run_id)  # type: ignore[arg-type]
    assert live["task_status_name"] == "launched"
    assert live["task_time_returned"] is None
    assert live["task_executor"] == "threads"

    started_hub.task_transition(
        transition(1, S.exec_done, timestamp=t0 + 2, time_returned=t0 + 2, **facts)
    )
    started_hub.close()
    [done] = query.tasks(db, run_id)  # type: ignore[arg-type]
    assert done["task_id"] == 1
    assert done["task_func_name"] == "add"
    assert done["task_status_name"] == "exec_done"
    assert done["task_time_invoked"] == at(t0)
    assert done["task_time_returned"] == at(t0 + 2)
    assert done["task_fail_count"] == 0
    assert done["task_fail_cost"] == 0.0
    assert done["task_fail_reason"] is None
    assert done["task_depends"] == "4,5"
    assert done["task_memoize"] == "1"
    assert done["task_hashsum"] == "abc123"
    # Parsl's text: str() of the lists, written as the kernel gives them
    assert done["task_inputs"] == "[42, 'x']"
    assert done["task_outputs"] == "[<File at 0x1 url=out.txt scheme=file netloc= path=out.txt>]"
    assert (done["task_stdin"], done["task_stdout"], done["task_stderr"]) == (
        "/tmp/in",
        "/tmp/out",
        "/tmp/err",
    )
    [attempt] = query.tries(db, run_id)  # type: ignore[arg-type]
    assert attempt["task_executor"] == "threads"
    assert attempt["task_try_time_launched"] == at(t0 + 1)
    assert attempt["task_try_time_returned"] == at(t0 + 2)
    assert attempt["task_try_fail_reason"] is None


def test_retries_give_one_try_row_each_with_its_failure(
    started_hub: MonitoringHub, transition: Callable[..., TaskTransition], run_id: str
) -> None:
    t = 50.0
    seq = [
        (S.pending, 0, None, 0, ()),
        (S.launched, 0, None, 0, ()),
        (S.fail_retryable, 0, "ValueError: first", 1, ("ValueError: first",)),
        (S.pending, 1, None, 1, ("ValueError: first",)),
        (S.launched, 1, None, 1, ("ValueError: first",)),
        (S.failed, 1, "ValueError: second", 2, ("ValueError: first", "ValueError: second")),
    ]
    for i, (st, try_id, reason, fails, hist) in enumerate(seq):
        started_hub.task_transition(
            transition(
                2,
                st,
                try_id=try_id,
                timestamp=t + i,
                fail_reason=reason,
                fail_count=fails,
                fail_cost=float(fails),
                fail_history=hist,
                try_time_launched=None if st is S.pending else t + 1 + 3 * try_id,
            )
        )
        if i == 2:
            assert started_hub.flush()  # the rest merges into stored rows
    started_hub.close()
    db = db_of(started_hub)
    [task] = query.tasks(db, run_id)  # type: ignore[arg-type]
    assert task["task_status_name"] == "failed"
    assert task["task_fail_count"] == 2
    assert task["task_fail_cost"] == 2.0
    assert task["task_fail_reason"] == "ValueError: second"
    assert task["task_time_returned"] == at(t + 5)
    first, second = query.tries(db, run_id)  # type: ignore[arg-type]
    assert (first["try_id"], second["try_id"]) == (0, 1)
    assert first["task_try_fail_reason"] == "ValueError: first"
    assert first["task_try_time_launched"] == at(t + 1)
    assert first["task_try_time_returned"] == at(t + 2)
    assert second["task_try_time_launched"] == at(t + 4)
    assert second["task_try_fail_reason"] == "ValueError: second"
    assert second["task_fail_history"] == "ValueError: first\nValueError: second"
    rows = query.task_status_history(db, run_id, 2)  # type: ignore[arg-type]
    assert [(r["task_status_name"], r["try_id"]) for r in rows] == [
        (st.name, try_id) for st, try_id, *_ in seq
    ]


def test_a_final_state_is_never_overwritten(
    started_hub: MonitoringHub, transition: Callable[..., TaskTransition], run_id: str
) -> None:
    started_hub.task_transition(transition(3, S.pending, timestamp=1.0))
    started_hub.task_transition(transition(3, S.dep_fail, timestamp=2.0, fail_reason="dep"))
    assert started_hub.flush()
    started_hub.task_transition(transition(3, S.running, timestamp=3.0))  # a stray late event
    started_hub.task_transition(transition(4, S.exec_done, timestamp=4.0))
    started_hub.task_transition(transition(4, S.launched, timestamp=5.0))  # same batch
    started_hub.close()
    db = db_of(started_hub)
    three, four = query.tasks(db, run_id)  # type: ignore[arg-type]
    assert three["task_status_name"] == "dep_fail"
    assert three["task_fail_reason"] == "dep"
    assert three["task_time_returned"] == at(2.0)
    assert four["task_status_name"] == "exec_done"
    assert history(db, 3) == ["pending", "dep_fail", "running"]


def test_a_repeated_transition_is_one_status_row_and_never_stops_the_writer(
    started_hub: MonitoringHub, transition: Callable[..., TaskTransition], run_id: str
) -> None:
    again = transition(5, S.pending, timestamp=7.0)
    started_hub.task_transition(again)
    started_hub.task_transition(again)  # same key, same batch
    assert started_hub.flush()
    started_hub.task_transition(again)  # same key, already stored
    started_hub.task_transition(transition(5, S.launched, timestamp=8.0))
    started_hub.close()
    assert started_hub.writer_error is None
    assert history(db_of(started_hub), 5) == ["pending", "launched"]


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
    assert history(db_of(hub), 0) == ["pending", "launched"]


@pytest.mark.timeout(90)
def test_thousands_of_events_from_many_threads_all_arrive(
    started_hub: MonitoringHub, transition: Callable[..., TaskTransition], run_id: str
) -> None:
    n_threads, n_tasks = 8, 500
    states = [S.pending, S.launched, S.running, S.exec_done]
    t0 = time.time()

    def submit(offset: int) -> None:
        for tid in range(offset, offset + n_tasks):
            for k, st in enumerate(states):
                started_hub.task_transition(transition(tid, st, timestamp=t0 + k))

    threads = [threading.Thread(target=submit, args=(k * n_tasks,)) for k in range(n_threads)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    started_hub.close()
    db = db_of(started_hub)
    rows = query.tasks(db, run_id)  # type: ignore[arg-type]
    assert len(rows) == n_threads * n_tasks
    assert {r["task_status_name"] for r in rows} == {"exec_done"}
    assert len(query.table_rows(db, "status", run_id)) == n_threads * n_tasks * len(states)  # type: ignore[arg-type]
    assert len(query.tries(db, run_id)) == n_threads * n_tasks  # type: ignore[arg-type]
    assert history(db, 1234) == [s.name for s in states]


def test_queued_events_are_written_in_batches(
    make_hub: Callable[..., MonitoringHub],
    sqlite_url: str,
    run_dir: str,
    caplog: pytest.LogCaptureFixture,
    transition: Callable[..., TaskTransition],
    run_id: str,
) -> None:
    hub = make_hub(logging_endpoint=sqlite_url, monitoring_debug=True)
    for tid in range(3000):
        hub.task_transition(transition(tid, S.pending))
    with caplog.at_level(logging.DEBUG, logger="parsl.monitoring.hub"):
        hub.start(run_id, run_dir)  # 3000 events already waiting
        hub.close()
    commits = [r for r in caplog.records if "committed" in r.getMessage()]
    assert 1 <= len(commits) <= 3  # not one transaction per event
    assert len(query.tasks(db_of(hub), run_id)) == 3000  # type: ignore[arg-type]


def test_task_transition_does_not_wait_for_a_locked_database(
    make_hub: Callable[..., MonitoringHub],
    sqlite_url: str,
    db_path: str,
    run_dir: str,
    transition: Callable[..., TaskTransition],
    run_id: str,
) -> None:
    hub = make_hub(logging_endpoint=sqlite_url)
    hub.start(run_id, run_dir)
    assert hub.flush()
    blocker = sqlite3.connect(db_path, isolation_level=None)
    try:
        blocker.execute("BEGIN EXCLUSIVE")  # the writer now cannot commit
        begin = time.monotonic()
        for tid in range(2000):
            hub.task_transition(transition(tid, S.pending))
        assert time.monotonic() - begin < 1.0
        assert hub.flush(timeout=0.3) is False  # still stuck behind the lock
        blocker.execute("ROLLBACK")
    finally:
        blocker.close()
    assert hub.flush()
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
    assert len(query.tasks(db_of(started_hub), run_id)) == 100  # type: ignore[arg-type]
    assert writer.events_written == 100


def test_close_without_start_does_nothing(make_hub: Callable[..., MonitoringHub]) -> None:
    hub = make_hub()
    hub.close()
    hub.close()
    assert hub.db_path is None and hub.db_url is None


def test_a_second_workflow_appends_and_keeps_the_first_ones_rows(
    make_hub: Callable[..., MonitoringHub],
    db_url: str,
    run_dir: str,
    transition: Callable[..., TaskTransition],
) -> None:
    first = make_hub(logging_endpoint=db_url)
    first.start("run-a", run_dir)
    for tid in range(20):
        first.task_transition(transition(tid, S.pending, run_id="run-a"))
        first.task_transition(transition(tid, S.exec_done, run_id="run-a"))
    first.workflow_end("run-a", 20, 0)
    first.close()
    second = make_hub(logging_endpoint=db_url)
    second.start("run-b", run_dir)
    for tid in range(20):  # the same task ids, another run
        second.task_transition(transition(tid, S.pending, run_id="run-b"))
        second.task_transition(transition(tid, S.failed, run_id="run-b", fail_reason="x"))
    second.close()
    db = db_of(first)
    assert {w["run_id"] for w in query.workflows(db)} == {"run-a", "run-b"}  # type: ignore[arg-type]
    [a] = [w for w in query.workflows(db) if w["run_id"] == "run-a"]  # type: ignore[arg-type]
    assert a["tasks_completed_count"] == 20
    for run_id, final in (("run-a", "exec_done"), ("run-b", "failed")):
        rows = query.tasks(db, run_id)  # type: ignore[arg-type]
        assert [r["task_id"] for r in rows] == list(range(20))
        assert {r["task_status_name"] for r in rows} == {final}
        assert history(db, 3, run_id) == ["pending", final]


def test_two_workflows_writing_at_once_share_the_database(
    make_hub: Callable[..., MonitoringHub],
    db_url: str,
    run_dir: str,
    transition: Callable[..., TaskTransition],
) -> None:
    hubs = {run_id: make_hub(logging_endpoint=db_url) for run_id in ("run-x", "run-y")}
    for run_id, hub in hubs.items():
        hub.start(run_id, run_dir)

    def work(run_id: str) -> None:
        for tid in range(300):
            hubs[run_id].task_transition(transition(tid, S.pending, run_id=run_id))
            hubs[run_id].task_transition(transition(tid, S.exec_done, run_id=run_id))

    threads = [threading.Thread(target=work, args=(r,)) for r in hubs]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    for hub in hubs.values():
        hub.close()
        assert hub.writer_error is None
    db = db_of(hubs["run-x"])
    for run_id in hubs:
        rows = query.tasks(db, run_id)  # type: ignore[arg-type]
        assert len(rows) == 300 and {r["task_status_name"] for r in rows} == {"exec_done"}

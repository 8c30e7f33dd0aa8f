"""A real workflow: Config(monitoring=MonitoringHub(...)) with the thread-pool executor."""

from __future__ import annotations

from pathlib import Path

import pytest

import parsl
from parsl.app.app import python_app
from parsl.config import Config
from parsl.executors import ThreadPoolExecutor
from parsl.monitoring import MonitoringHub
from parsl.monitoring.hub import query


@python_app
def double(x: int) -> int:
    return 2 * x


@python_app
def explode(x: int) -> int:
    raise ValueError(f"bad input {x}")


@python_app
def flaky(marker: str) -> str:
    import os

    if not os.path.exists(marker):
        open(marker, "w").close()
        raise RuntimeError("first try fails")
    return "second try worked"


WORKER_STATES = {"running", "running_ended"}


def states_of(db: str, run_id: str, task_id: int) -> list[str]:
    """The DataFlowKernel's states of one task (the worker's own are checked separately)."""
    rows = query.task_status_history(db, run_id, task_id)
    return [r["task_status_name"] for r in rows if r["task_status_name"] not in WORKER_STATES]


@pytest.mark.timeout(60)
def test_workflow_with_a_failing_app_is_fully_recorded(tmp_path: Path) -> None:
    db = tmp_path / "mon" / "monitoring.db"
    hub = MonitoringHub(logging_endpoint=f"sqlite:///{db}", workflow_name="e2e")
    config = Config(
        executors=[ThreadPoolExecutor(max_threads=4, label="threads")],
        run_dir=str(tmp_path / "runinfo"),
        monitoring=hub,
    )
    with parsl.load(config) as dfk:
        run_id = dfk.run_id
        ok = [double(i) for i in range(3)]
        bad = explode(1)
        after_bad = double(bad)  # depends on the failure
        assert [f.result(timeout=30) for f in ok] == [0, 2, 4]
        with pytest.raises(ValueError, match="bad input 1"):
            bad.result(timeout=30)
        with pytest.raises(parsl.ParslError):
            after_bad.result(timeout=30)
        ids = [f.tid for f in ok], bad.tid, after_bad.tid

    ok_ids, bad_id, dep_id = ids
    [wf] = query.workflows(db)
    assert wf["run_id"] == run_id
    assert wf["workflow_name"] == "e2e"
    assert wf["time_completed"] is not None
    assert (wf["tasks_completed_count"], wf["tasks_failed_count"]) == (3, 2)

    tasks = {t["task_id"]: t for t in query.tasks(db, run_id)}
    assert set(tasks) == {*ok_ids, bad_id, dep_id}
    for tid in ok_ids:
        assert tasks[tid]["task_status_name"] == "exec_done"
        assert tasks[tid]["task_func_name"] == "double"
        assert tasks[tid]["task_executor"] == "threads"
        assert tasks[tid]["task_time_returned"] is not None
        assert states_of(str(db), run_id, tid) == ["pending", "launched", "exec_done"]
    assert tasks[bad_id]["task_status_name"] == "failed"
    assert tasks[bad_id]["task_func_name"] == "explode"
    assert tasks[bad_id]["task_fail_reason"] == "ValueError: bad input 1"
    tries = {(t["task_id"], t["try_id"]): t for t in query.tries(db, run_id)}
    assert set(tries) == {(tid, 0) for tid in [*ok_ids, bad_id]}  # dep_fail never ran
    assert tries[(bad_id, 0)]["task_try_fail_reason"] == "ValueError: bad input 1"
    for t in tries.values():
        assert t["task_executor"] == "threads"
        assert t["task_try_time_launched"] <= t["task_try_time_returned"]
    assert states_of(str(db), run_id, bad_id) == ["pending", "launched", "failed"]
    assert tasks[dep_id]["task_status_name"] == "dep_fail"
    assert states_of(str(db), run_id, dep_id) == ["pending", "dep_fail"]
    writer = hub._writer
    assert writer is not None and not writer.is_alive()  # cleanup closed the hub


@pytest.mark.timeout(60)
def test_retried_task_and_default_database_location(tmp_path: Path) -> None:
    run_dir = tmp_path / "runinfo"
    config = Config(
        executors=[ThreadPoolExecutor(max_threads=2, label="threads")],
        run_dir=str(run_dir),
        retries=1,
        monitoring=MonitoringHub(),
    )
    with parsl.load(config) as dfk:
        run_id = dfk.run_id
        fut = flaky(str(tmp_path / "marker"))
        assert fut.result(timeout=30) == "second try worked"
        tid = fut.tid

    db = str(run_dir / "monitoring.db")  # beside runinfo/000
    [task] = query.tasks(db, run_id)
    assert task["task_id"] == tid
    assert task["task_status_name"] == "exec_done"
    first, second = query.tries(db, run_id)
    assert "RuntimeError: first try fails" in (first["task_try_fail_reason"] or "")
    assert second["task_try_fail_reason"] is None
    assert first["task_try_time_returned"] <= second["task_try_time_launched"]
    rows = query.task_status_history(db, run_id, tid)
    assert [
        (r["task_status_name"], r["try_id"])
        for r in rows
        if r["task_status_name"] not in WORKER_STATES
    ] == [
        ("pending", 0),
        ("launched", 0),
        ("fail_retryable", 0),
        ("pending", 1),
        ("launched", 1),
        ("exec_done", 1),
    ]


@python_app
def first(inputs: list[object], outputs: list[object] | None = None) -> object:
    return inputs[0]


@pytest.mark.timeout(60)
def test_task_inputs_and_outputs_hold_parsls_text(tmp_path: Path) -> None:
    """str() of the inputs= list with its futures resolved, and of outputs=, as Parsl writes them."""
    from concurrent.futures import Future

    from parsl.data_provider.files import File

    db = tmp_path / "monitoring.db"
    out = File(str(tmp_path / "out.txt"))
    with parsl.load(
        Config(
            executors=[ThreadPoolExecutor(max_threads=2, label="threads")],
            run_dir=str(tmp_path / "runinfo"),
            monitoring=MonitoringHub(logging_endpoint=f"sqlite:///{db}"),
        )
    ) as dfk:
        run_id = dfk.run_id
        gate: Future[int] = Future()
        waiting = first(inputs=[gate, "b"])
        gate.set_result(421969)  # resolved only after the task was submitted
        assert waiting.result(timeout=30) == 421969
        plain = double(1)
        assert plain.result(timeout=30) == 2
        with_file = first(inputs=[7], outputs=[out])
        assert with_file.result(timeout=30) == 7
    rows = {t["task_id"]: t for t in query.tasks(str(db), run_id)}
    assert rows[waiting.tid]["task_inputs"] == "[421969, 'b']"
    assert rows[waiting.tid]["task_outputs"] is None
    assert (rows[plain.tid]["task_inputs"], rows[plain.tid]["task_outputs"]) == (None, None)
    assert rows[with_file.tid]["task_inputs"] == "[7]"
    # the File's repr, in Parsl's layout (the task holds its own copy of the File)
    written = rows[with_file.tid]["task_outputs"]
    assert written.startswith("[<File at 0x") and f"url={out.url} " in written
    assert written.endswith(f"filename={out.filename}>]")

"""dfk.tasks, dfk.task_state_counts and per-task log attributes, as Parsl documents them."""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping

import pytest

import parsl
from parsl import python_app
from parsl.dataflow.dflow import DataFlowKernel
from parsl.dataflow.states import States

PARSL_KEYS = (
    "status",
    "app_fu",
    "func_name",
    "depends",
    "fail_count",
    "fail_history",
    "try_id",
    "executor",
    "time_invoked",
    "time_returned",
    "id",
    "func",
    "args",
    "kwargs",
    "memoize",
    "hashsum",
    "from_memo",
    "ignore_for_cache",
    "resource_specification",
    "join",
)


@python_app
def wait_for(ev: threading.Event) -> int:
    ev.wait(20)
    return 7


@python_app
def boom() -> None:
    raise ValueError("boom")


@python_app
def double(x: int) -> int:
    return 2 * x


@python_app
def add_all(a: int, b: int) -> int:
    return a + b


def test_task_record_is_a_mapping_with_parsl_keys(dfk: DataFlowKernel) -> None:
    ev = threading.Event()
    fut = wait_for(ev)
    try:
        record = dfk.tasks[fut.tid]
        assert isinstance(record, Mapping)
        for key in PARSL_KEYS:
            assert key in record, key
        assert record["app_fu"] is fut
        assert record["func_name"] == "wait_for"
        assert record["executor"] == "threads"
        assert record["fail_count"] == 0
        assert record["fail_history"] == []
        assert record["try_id"] == 0
        assert record["join"] is False
        assert record["time_returned"] is None
        assert isinstance(record["time_invoked"], float)
        assert record["status"] in (States.launched, States.running)
        assert record.get("no such key", "dflt") == "dflt"
        with pytest.raises(KeyError):
            record["no such key"]
        assert set(record) >= set(PARSL_KEYS)
        assert dict(record.items())["id"] == fut.tid
    finally:
        ev.set()
    assert fut.result(timeout=20) == 7


def test_finished_task_is_removed_from_dfk_tasks(dfk: DataFlowKernel) -> None:
    ok = python_app(lambda: 1)()
    bad = boom()
    assert ok.result(timeout=20) == 1
    with pytest.raises(ValueError):
        bad.result(timeout=20)
    dfk.wait_for_current_tasks()
    assert ok.tid not in dfk.tasks
    assert bad.tid not in dfk.tasks


def test_task_state_counts(dfk: DataFlowKernel) -> None:
    ev = threading.Event()
    waiting = wait_for(ev)
    ok = [python_app(lambda: 1)() for _ in range(3)]
    bad = boom()
    for f in ok:
        f.result(timeout=20)
    with pytest.raises(ValueError):
        bad.result(timeout=20)
    counts = dfk.task_state_counts
    assert counts[States.exec_done] == 3
    assert counts[States.failed] == 1
    assert counts[States.launched] + counts[States.running] == 1
    assert counts[States.pending] == 0
    assert counts[States.unsched] == 0
    ev.set()
    waiting.result(timeout=20)
    dfk.wait_for_current_tasks()
    assert dfk.task_state_counts[States.exec_done] == 4
    assert sum(dfk.task_state_counts.values()) == 5


def test_log_records_carry_task_attributes(
    dfk: DataFlowKernel, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="parsl")
    fut = boom()
    with pytest.raises(ValueError):
        fut.result(timeout=20)
    about = [r for r in caplog.records if getattr(r, "parsl.task", None) == fut.tid]
    assert about, "no log record names the task"
    for r in about:
        assert getattr(r, "parsl.app_name") == "boom"
        assert getattr(r, "parsl.try") == 0
        assert getattr(r, "parsl.executor") == "threads"
    states = [getattr(r, "parsl.task_state") for r in about]
    assert states[0] == "unsched" and states[-1] == "failed", states
    assert "launched" in states


def test_debug_records_name_dependencies_as_parsl_does(
    dfk: DataFlowKernel, caplog: pytest.LogCaptureFixture
) -> None:
    from concurrent.futures import Future

    caplog.set_level(logging.DEBUG, logger="parsl")
    plain: Future[int] = Future()
    plain.set_result(1)
    first = double(2)
    second = add_all(first, plain)
    assert second.result(timeout=20) == 5
    pairs = {
        (getattr(r, "parsl.task"), getattr(r, "parsl.dependency_task"))
        for r in caplog.records
        if hasattr(r, "parsl.dependency_task")
    }
    assert pairs == {(second.tid, first.tid)}
    objects = [r for r in caplog.records if hasattr(r, "parsl.dependency_object")]
    assert [getattr(r, "parsl.dependency_object") for r in objects] == [repr(plain)]


def test_run_id_record_carries_parsl_dfk(run_dir: str, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="parsl")
    with parsl.load(parsl.Config(run_dir=run_dir)) as loaded:
        run = [r for r in caplog.records if r.getMessage().startswith("Run id is: ")]
        assert [getattr(r, "parsl.dfk") for r in run] == [loaded.run_id]


def test_no_dependency_records_without_debug(
    dfk: DataFlowKernel, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="parsl")
    assert add_all(double(1), 1).result(timeout=20) == 3
    assert not [r for r in caplog.records if hasattr(r, "parsl.dependency_task")]


def test_retry_handler_reads_record_keys(run_dir: str) -> None:
    seen: list[tuple[int, str]] = []

    def handler(exc: BaseException, record: Mapping[str, object]) -> float:
        seen.append((record["fail_count"], record["func_name"]))  # type: ignore[arg-type]
        return 1

    cfg = parsl.Config(retries=2, retry_handler=handler, run_dir=run_dir)  # type: ignore[arg-type]
    with parsl.load(cfg):
        with pytest.raises(ValueError):
            boom().result(timeout=20)
    assert seen == [(1, "boom"), (2, "boom"), (3, "boom")]


def test_cleanup_logs_parsls_summary_of_task_states(
    run_dir: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="parsl")
    with parsl.load(parsl.Config(run_dir=run_dir)):
        assert double(1).result(timeout=20) == 2
        assert boom().exception(timeout=20) is not None
    lines = caplog.text.splitlines()
    start = next(i for i, line in enumerate(lines) if "Summary of tasks in DFK:" in line)
    summary = "\n".join(lines[start:])
    assert "Tasks in state States.exec_done: 1" in summary
    assert "Tasks in state States.failed: 1" in summary
    assert "Tasks in state States.pending: 0" in summary
    assert "End of summary" in summary


def test_each_executor_added_is_logged_with_its_label_and_type(
    run_dir: str, caplog: pytest.LogCaptureFixture
) -> None:
    from parsl.executors import ThreadPoolExecutor

    caplog.set_level(logging.INFO, logger="parsl")

    def added() -> set[tuple[str, str]]:
        return {
            (getattr(r, "parsl.executor.label"), getattr(r, "parsl.executor.type"))
            for r in caplog.records
            if hasattr(r, "parsl.executor.label")
        }

    kind = "parsl.executors.threads.ThreadPoolExecutor"
    with parsl.load(
        parsl.Config(executors=[ThreadPoolExecutor(label="a")], run_dir=run_dir)
    ) as dfk:
        assert ("a", kind) in added()
        dfk.add_executors([ThreadPoolExecutor(label="b")])
        assert ("b", kind) in added()

"""The DataFlowKernel performs what the lifecycle decides: running reports, retries, joins, cleanup."""

from __future__ import annotations

import threading
import time
from concurrent.futures import Future

import pytest

import parsl
from parsl import join_app, python_app
from parsl.config import Config
from parsl.dataflow.dflow import DataFlowKernel
from parsl.dataflow.errors import JoinError
from parsl.dataflow.states import States
from parsl.executors import ThreadPoolExecutor
from parsl.monitoring.memory import MemorySink

GATE = threading.Event()


@python_app
def wait_for_gate() -> int:
    GATE.wait(20)
    return 1


@python_app
def boom() -> int:
    raise RuntimeError("inner failed")


@join_app
def joins_a_failure() -> Future[int]:
    return boom()  # type: ignore[no-any-return]


def _wait_status(dfk: DataFlowKernel, tid: int, status: States) -> None:
    deadline = time.monotonic() + 10
    while dfk.tasks[tid].status is not status:
        assert time.monotonic() < deadline, dfk.tasks[tid]
        time.sleep(0.01)


@pytest.mark.timeout(30)
def test_running_is_reached_when_the_executor_reports_it(run_dir: str) -> None:
    sink = MemorySink()
    GATE.clear()
    config = Config(
        executors=[ThreadPoolExecutor(max_threads=2, label="t")], run_dir=run_dir, monitoring=sink
    )
    with parsl.load(config) as dfk:
        fut = wait_for_gate()
        _wait_status(dfk, fut.tid, States.launched)
        dfk.report_running(fut.tid, try_id=1)  # a try that does not exist: ignored
        dfk.report_running(10_000, try_id=0)  # no such task: ignored
        assert fut.task_status() == "launched"
        dfk.report_running(fut.tid, try_id=0)
        assert fut.task_status() == "running"
        assert dfk.task_state_counts[States.running] == 1
        dfk.report_running(fut.tid, try_id=0)  # a repeated report changes nothing
        GATE.set()
        assert fut.result(timeout=10) == 1
        dfk.report_running(fut.tid, try_id=0)  # a late report after the end: ignored
        assert fut.task_status() == "exec_done"
        assert dfk.task_state_counts[States.running] == 0
        assert dfk.task_state_counts[States.exec_done] == 1
    states = [e.state.name for e in sink.transitions if e.task_id == fut.tid]
    assert states == ["pending", "launched", "running", "exec_done"]


@pytest.mark.timeout(30)
def test_a_failed_join_is_priced_by_the_retry_handler_and_retried(run_dir: str) -> None:
    priced: list[tuple[str, int]] = []

    def handler(exc: BaseException, task: object) -> float:
        priced.append((type(exc).__name__, task["fail_count"]))  # type: ignore[index]
        return 0.5

    config = Config(
        executors=[ThreadPoolExecutor(max_threads=2, label="t")],
        run_dir=run_dir,
        retries=1,
        retry_handler=handler,
    )
    with parsl.load(config):
        fut = joins_a_failure()
        with pytest.raises(JoinError):
            fut.result(timeout=10)
        record = fut.task_record
        # The handler sees each failure after it was counted; 0.5 + 0.5 <= 1 retries twice.
        assert [p for p in priced if p[0] == "JoinError"] == [
            ("JoinError", 1),
            ("JoinError", 2),
            ("JoinError", 3),
        ]
        assert (record.fail_count, record.fail_cost, record.try_id) == (3, 1.5, 2)
        assert fut.task_status() == "failed"

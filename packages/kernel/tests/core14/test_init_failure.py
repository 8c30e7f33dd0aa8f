"""A DataFlowKernel that fails part-way through parsl.load() leaves nothing running behind it."""

from __future__ import annotations

import logging
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psutil
import pytest

import parsl
from parsl import python_app
from parsl.config import Config
from parsl.dataflow.memoization import BasicMemoizer
from parsl.executors import ThreadPoolExecutor
from parsl.monitoring.sink import MonitoringSink, TaskTransition

pytestmark = pytest.mark.timeout(60)


@python_app
def triple(x: int) -> int:
    return 3 * x


class ThreadedSink(MonitoringSink):
    """A sink with a background thread, started in start() and stopped in close()."""

    def __init__(self, fail_in_start: bool = False) -> None:
        self.fail_in_start = fail_in_start
        self.stop = threading.Event()
        self.thread: threading.Thread | None = None
        self.closed = False

    def start(self, run_id: str, run_dir: str) -> None:
        self.thread = threading.Thread(target=self.stop.wait, name="sink-writer", daemon=True)
        self.thread.start()
        if self.fail_in_start:
            raise ConnectionError("the sink's database is unreachable")

    def task_transition(self, event: TaskTransition) -> None:
        pass

    def close(self) -> None:
        self.closed = True
        self.stop.set()
        if self.thread is not None:
            self.thread.join(5)


class ChildPool(ThreadPoolExecutor):
    """A pool that starts a child process (as pilot-job executors do) and stops it at shutdown."""

    def start(self) -> None:
        super().start()
        self.child = subprocess.Popen(["sleep", "60"])

    def shutdown(self, block: bool = True) -> None:
        try:
            super().shutdown(block)
        finally:
            self.child.kill()
            self.child.wait(5)


class FailingStart(ThreadPoolExecutor):
    def start(self) -> None:
        raise RuntimeError("cannot start: no such queue")


@pytest.fixture
def baseline() -> Iterator[tuple[set[threading.Thread], list[logging.Handler]]]:
    """What runs before the test; afterwards, a clean slate whatever happened."""
    yield set(threading.enumerate()), list(logging.getLogger("parsl").handlers)
    parsl.clear()


def _assert_nothing_left(
    baseline: tuple[set[threading.Thread], list[logging.Handler]],
) -> None:
    threads, handlers = baseline
    deadline = threading.Event()
    for _ in range(50):  # threads told to stop get a moment to finish
        left = [t for t in set(threading.enumerate()) - threads if t.is_alive()]
        if not left:
            break
        deadline.wait(0.1)
    assert left == [], f"threads left running: {left}"
    assert logging.getLogger("parsl").handlers == handlers, "the run's log handler is still there"
    children = [p for p in psutil.Process().children(recursive=True) if p.status() != "zombie"]
    assert children == [], f"child processes left running: {children}"
    with pytest.raises(parsl.errors.NoDataFlowKernelError):
        parsl.dfk()


def _corrected_load_works(tmp_path: Path) -> None:
    parsl.load(Config(executors=[ThreadPoolExecutor(label="ok")], run_dir=str(tmp_path / "ok")))
    assert triple(5).result(timeout=10) == 15
    parsl.clear()


def test_a_bad_checkpoint_file_stops_the_monitoring_sink_and_the_log_handler(
    tmp_path: Path, baseline: Any
) -> None:
    bad = tmp_path / "tasks.pkl"
    bad.write_bytes(b"this is not a checkpoint")
    sink = ThreadedSink()
    with pytest.raises(Exception, match="checkpoint"):
        parsl.load(
            Config(
                executors=[ThreadPoolExecutor(label="t")],
                run_dir=str(tmp_path / "runinfo"),
                monitoring=sink,
                checkpoint_files=[str(bad)],
            )
        )
    assert sink.closed
    _assert_nothing_left(baseline)
    _corrected_load_works(tmp_path)


def test_a_sink_whose_start_raises_is_closed_and_the_log_handler_removed(
    tmp_path: Path, baseline: Any
) -> None:
    sink = ThreadedSink(fail_in_start=True)
    with pytest.raises(ConnectionError, match="unreachable"):
        parsl.load(Config(run_dir=str(tmp_path / "runinfo"), monitoring=sink))
    assert sink.closed and sink.thread is not None and not sink.thread.is_alive()
    _assert_nothing_left(baseline)
    _corrected_load_works(tmp_path)


def test_executors_started_before_one_that_fails_are_shut_down_with_their_children(
    tmp_path: Path, baseline: Any
) -> None:
    first = ChildPool(label="first", max_threads=3)
    sink = ThreadedSink()
    memoizer = BasicMemoizer(checkpoint_mode="periodic", checkpoint_period="00:00:01")
    with pytest.raises(RuntimeError, match="no such queue"):
        parsl.load(
            Config(
                executors=[first, FailingStart(label="second")],
                run_dir=str(tmp_path / "runinfo"),
                monitoring=sink,
                memoizer=memoizer,
                app_cache=True,
            )
        )
    assert first.child.poll() is not None  # its child process was stopped and reaped
    assert sink.closed
    _assert_nothing_left(baseline)
    _corrected_load_works(tmp_path)


def test_a_failure_after_the_poller_started_closes_it_too(
    tmp_path: Path, baseline: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from parsl.jobs.poller import JobStatusPoller

    started: list[JobStatusPoller] = []
    real_start = JobStatusPoller.start

    def start_then_fail(self: JobStatusPoller) -> None:
        real_start(self)
        started.append(self)
        raise RuntimeError("strategy thread could not be named")

    monkeypatch.setattr(JobStatusPoller, "start", start_then_fail)
    pool = ThreadPoolExecutor(label="t")
    with pytest.raises(RuntimeError, match="strategy thread"):
        parsl.load(Config(executors=[pool], run_dir=str(tmp_path / "r"), initialize_logging=False))
    assert len(started) == 1
    assert pool._closed  # the executor started before the failure was shut down
    monkeypatch.undo()
    _assert_nothing_left(baseline)
    _corrected_load_works(tmp_path)

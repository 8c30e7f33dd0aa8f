"""The DataFlowKernel: dependencies, retries, monitoring events, cleanup, run directories."""

from __future__ import annotations

import os
import re
import threading
import time
from concurrent.futures import Future
from pathlib import Path
from typing import Any

import pytest

import parsl
from parsl import python_app
from parsl.config import Config
from parsl.dataflow.dependency_resolvers import DEEP_DEPENDENCY_RESOLVER
from parsl.dataflow.dflow import CleanedUp, DataFlowKernel
from parsl.dataflow.errors import DependencyError
from parsl.dataflow.states import States
from parsl.errors import ConfigurationError, ParslError
from parsl.executors import ThreadPoolExecutor
from parsl.executors.base import ParslExecutor
from parsl.monitoring.sink import MonitoringSink, TaskTransition


@python_app
def add(a: int, b: int) -> int:
    return a + b


@python_app
def fail(msg: str = "boom") -> int:
    raise RuntimeError(msg)


@python_app
def total(inputs: list[int] = []) -> int:  # noqa: B006
    return sum(inputs)


@python_app
def deep(x: Any) -> Any:
    return x


class RecordingSink(MonitoringSink):
    def __init__(self) -> None:
        self.events: list[TaskTransition] = []
        self.started: tuple[str, str] | None = None
        self.ended: tuple[int, int] | None = None
        self.closed = 0

    def start(self, run_id: str, run_dir: str) -> None:
        self.started = (run_id, run_dir)

    def task_transition(self, event: TaskTransition) -> None:
        self.events.append(event)

    def workflow_end(self, run_id: str, tasks_completed: int, tasks_failed: int) -> None:
        self.ended = (tasks_completed, tasks_failed)

    def close(self) -> None:
        self.closed += 1


def test_dependencies_in_args_kwargs_and_inputs(dfk: DataFlowKernel) -> None:
    a = add(1, 2)
    b = add(a, b=a)
    c = total(inputs=[a, b, 10])
    assert c.result(timeout=10) == 3 + 6 + 10


def test_plain_concurrent_future_is_a_dependency(dfk: DataFlowKernel) -> None:
    f: Future[int] = Future()
    g = add(f, 1)
    time.sleep(0.05)
    assert not g.done()
    f.set_result(41)
    assert g.result(timeout=10) == 42


def test_dependency_failure_names_tasks_and_root_cause(dfk: DataFlowKernel) -> None:
    root = fail("root cause")
    mid = add(root, 1)
    top = add(mid, 1)
    with pytest.raises(DependencyError) as e:
        top.result(timeout=10)
    assert e.value.failed_task_ids == [mid.tid]
    assert isinstance(e.value.root_cause, RuntimeError)
    assert "root cause" in str(e.value.root_cause)
    assert f"task {mid.tid}" in str(e.value)
    assert top.task_status() == "dep_fail"
    # As in Parsl: the cause is the app's own error two tasks down, not mid's DependencyError.
    assert e.value.__cause__ is root.exception()
    assert isinstance(mid.exception(), DependencyError)
    assert e.value.dependent_exceptions_tids[0][0] is mid.exception()


def test_root_cause_of_a_chain_that_loops_ends() -> None:
    first = DependencyError([(RuntimeError("x"), "task 1")], 2)
    second = DependencyError([(first, "task 2")], 3)
    first.dependent_exceptions_tids = [(second, "task 3")]  # a loop, built by hand
    assert second.root_cause is second


def test_dependency_failure_of_plain_future(dfk: DataFlowKernel) -> None:
    f: Future[int] = Future()
    f.set_exception(KeyError("k"))
    with pytest.raises(DependencyError) as e:
        add(f, 1).result(timeout=10)
    assert e.value.failed_task_ids == []
    assert isinstance(e.value.root_cause, KeyError)


def test_shallow_resolver_leaves_nested_futures(dfk: DataFlowKernel) -> None:
    a = add(1, 1)
    a.result(timeout=10)
    out = deep([a]).result(timeout=10)
    assert out[0] is a


def test_deep_resolver_looks_inside_containers(run_dir: str) -> None:
    with parsl.load(Config(run_dir=run_dir, dependency_resolver=DEEP_DEPENDENCY_RESOLVER)):
        a, b = add(1, 1), add(2, 2)
        value = {"k": [a, (b, 1)], "s": {3}}
        assert deep(value).result(timeout=10) == {"k": [2, (4, 1)], "s": {3}}
        assert deep(frozenset([a])).result(timeout=10) == frozenset([2])
        assert deep({a: "key"}).result(timeout=10) == {2: "key"}


def test_retries_record_every_try(run_dir: str, tmp_path: Path) -> None:
    counter = tmp_path / "count"

    @python_app
    def flaky(fails: int) -> int:
        n = int(counter.read_text()) if counter.exists() else 0
        counter.write_text(str(n + 1))
        if n < fails:
            raise OSError(f"try {n}")
        return n

    with parsl.load(Config(run_dir=run_dir, retries=2)):
        assert flaky(2).result(timeout=10) == 2
        counter.unlink()
        f = flaky(5)
        with pytest.raises(OSError, match="try 2"):
            f.result(timeout=10)
        record = f.task_record
        assert [str(e) for e in record.fail_history] == ["try 0", "try 1", "try 2"]
        assert record.try_id == 2


def test_retry_handler_costs(run_dir: str) -> None:
    seen: list[str] = []

    def handler(exc: BaseException, task: Any) -> float:
        seen.append(type(exc).__name__)
        return 100.0 if isinstance(exc, KeyError) else 0.5

    @python_app
    def raise_(kind: str) -> None:
        raise KeyError("k") if kind == "key" else ValueError("v")

    with parsl.load(Config(run_dir=run_dir, retries=2, retry_handler=handler)):
        with pytest.raises(KeyError):
            raise_("key").result(timeout=10)
        assert seen == ["KeyError"]
        seen.clear()
        f = raise_("value")
        with pytest.raises(ValueError):
            f.result(timeout=10)
        assert len(seen) == 5  # costs 0.5, 1.0, 1.5, 2.0 retry; 2.5 > 2 stops
        assert f.task_record.fail_cost == 2.5


def test_retry_handler_that_raises_stops_retrying(run_dir: str) -> None:
    def handler(exc: BaseException, task: Any) -> float:
        raise ZeroDivisionError

    with parsl.load(Config(run_dir=run_dir, retries=5, retry_handler=handler)):
        f = fail("x")
        with pytest.raises(ZeroDivisionError) as e:  # as in Parsl: the handler's exception
            f.result(timeout=10)
        assert f.task_record.fail_count == 1
        assert "raised by retry_handler" in "".join(getattr(e.value, "__notes__", []))
        assert isinstance(e.value.__context__, RuntimeError)  # the task's own failure


def test_monitoring_sink_sees_every_transition(run_dir: str) -> None:
    sink = RecordingSink()
    with parsl.load(Config(run_dir=run_dir, monitoring=sink, retries=1)) as d:
        ok = add(1, 2)
        bad = fail()
        dep = add(bad, 1)
        for f in (ok, bad, dep):
            f.exception(timeout=10)
        run_id = d.run_id
    assert sink.started is not None and sink.started[0] == run_id
    assert sink.ended == (1, 2)
    assert sink.closed == 1

    def states(tid: int) -> list[str]:
        return [e.state.name for e in sink.events if e.task_id == tid]

    assert states(ok.tid) == ["pending", "launched", "exec_done"]
    assert states(bad.tid) == [
        "pending",
        "launched",
        "fail_retryable",
        "pending",
        "launched",
        "failed",
    ]
    assert states(dep.tid) == ["pending", "dep_fail"]
    assert all(e.run_id == run_id and e.func_name for e in sink.events)


def test_broken_monitoring_sink_does_not_lose_tasks(run_dir: str) -> None:
    class Broken(RecordingSink):
        def task_transition(self, event: TaskTransition) -> None:
            raise OSError("sink down")

    with parsl.load(Config(run_dir=run_dir, monitoring=Broken())):
        assert add(1, 1).result(timeout=10) == 2


def test_garbage_collection_drops_finished_tasks(dfk: DataFlowKernel) -> None:
    futs = [add(i, 1) for i in range(200)]
    for f in futs:
        f.result(timeout=10)
    assert dfk.tasks == {}
    assert futs[0].task_record.args == ()
    assert futs[0].task_status() == "exec_done"


def test_without_garbage_collection_tasks_stay(run_dir: str) -> None:
    with parsl.load(Config(run_dir=run_dir, garbage_collect=False)) as d:
        f = add(1, 2)
        f.result(timeout=10)
        assert d.tasks[f.tid].status is States.exec_done


def test_load_twice_and_dfk_and_clear(run_dir: str) -> None:
    d = parsl.load(Config(run_dir=run_dir))
    try:
        assert parsl.dfk() is d
        with pytest.raises(ConfigurationError, match="already been loaded"):
            parsl.load(Config(run_dir=run_dir))
    finally:
        parsl.clear()
    with pytest.raises(ParslError, match=r"^Must first load config$"):
        parsl.dfk()
    parsl.clear()  # clearing nothing is fine


def test_load_rejects_non_config(run_dir: str) -> None:
    with pytest.raises(ConfigurationError, match="config"):
        parsl.load("threads")  # type: ignore[arg-type]


def test_run_dirs_are_numbered_and_hold_a_log(run_dir: str) -> None:
    dirs, run_ids = [], []
    for _ in range(3):
        with parsl.load(Config(run_dir=run_dir)) as d:
            add(1, 1).result(timeout=10)
            dirs.append(d.run_dir)
            run_ids.append(d.run_id)
    assert [os.path.basename(p) for p in dirs] == ["000", "001", "002"]
    # Scripts written for Parsl take the run id from its log with this pattern.
    for log_dir, run_id in zip(dirs, run_ids, strict=True):
        log = Path(log_dir, "parsl.log").read_text()
        assert re.findall(r"^.*Run id is: (.*)$", log, re.MULTILINE) == [run_id]


def test_initialize_logging_false_writes_no_log(run_dir: str) -> None:
    with parsl.load(Config(run_dir=run_dir, initialize_logging=False)) as d:
        add(1, 1).result(timeout=10)
    assert not Path(d.run_dir, "parsl.log").exists()


def test_submit_after_cleanup_is_a_clear_error(run_dir: str) -> None:
    d = DataFlowKernel(Config(run_dir=run_dir))
    d.cleanup()
    d.cleanup()  # idempotent
    with pytest.raises(ParslError, match="cleaned up"):
        python_app(lambda: 1, data_flow_kernel=d)()


def test_cleanup_fails_waiting_tasks_instead_of_hanging(run_dir: str) -> None:
    gate: Future[int] = Future()
    d = parsl.load(Config(run_dir=run_dir))
    waiting = add(gate, 1)
    t0 = time.monotonic()
    parsl.clear()
    assert time.monotonic() - t0 < 5
    with pytest.raises(CleanedUp, match="had not finished"):
        waiting.result(timeout=5)
    assert d.cleanup_called


def test_cleanup_bounded_with_a_task_that_never_returns(run_dir: str) -> None:
    release = threading.Event()

    @python_app
    def stuck() -> None:
        release.wait(60)

    cfg = Config(run_dir=run_dir, executors=[ThreadPoolExecutor(shutdown_timeout=0.5)])
    with parsl.load(cfg):
        f = stuck()
        time.sleep(0.1)
        t0 = time.monotonic()
    assert time.monotonic() - t0 < 5
    with pytest.raises(ParslError):
        f.result(timeout=5)
    release.set()


class DeadExecutor(ParslExecutor):
    """An executor whose start fails, or which reports a bad state."""

    def __init__(self, label: str = "dead", fail_start: bool = False) -> None:
        self.label = label
        self.fail_start = fail_start
        self.shut = False

    def start(self) -> None:
        if self.fail_start:
            raise OSError("cannot start")

    def submit(
        self, func: Any, resource_specification: dict[str, Any], /, *a: Any, **k: Any
    ) -> Any:
        raise AssertionError("must not be called when in bad state")

    def shutdown(self) -> None:
        self.shut = True

    @property
    def bad_state_is_set(self) -> bool:
        return True

    @property
    def executor_exception(self) -> BaseException:
        return RuntimeError("executor died")


def test_bad_state_executor_fails_tasks_clearly(run_dir: str) -> None:
    with parsl.load(Config(run_dir=run_dir, executors=[DeadExecutor()], retries=2)):
        f = add(1, 2)
        with pytest.raises(RuntimeError, match="executor died"):
            f.result(timeout=10)


def test_executor_start_failure_cleans_up(run_dir: str) -> None:
    good = ThreadPoolExecutor(label="good")
    with pytest.raises(OSError, match="cannot start"):
        parsl.load(Config(run_dir=run_dir, executors=[good, DeadExecutor(fail_start=True)]))
    with pytest.raises(ParslError):
        parsl.dfk()
    with pytest.raises(ParslError, match="shut down"):
        good.submit(lambda: 1, {})


def test_executor_submit_raising_fails_only_that_task(run_dir: str) -> None:
    class Picky(ThreadPoolExecutor):
        def submit(self, func: Any, spec: dict[str, Any], /, *args: Any, **kwargs: Any) -> Any:
            if args and args[0] == "bad":
                raise TypeError("cannot serialize argument 0")
            return super().submit(func, spec, *args, **kwargs)

    with parsl.load(Config(run_dir=run_dir, executors=[Picky(label="p")])):
        assert deep("good").result(timeout=10) == "good"
        with pytest.raises(TypeError, match="argument 0"):
            deep("bad").result(timeout=10)


def test_long_failure_chain_does_not_recurse(dfk: DataFlowKernel) -> None:
    f = fail()
    for _ in range(3000):
        f = add(f, 1)
    with pytest.raises(DependencyError):
        f.result(timeout=30)


def test_wait_for_current_tasks(dfk: DataFlowKernel) -> None:
    @python_app
    def slow(x: int) -> int:
        time.sleep(0.05)
        return x

    futs = [slow(i) for i in range(8)]
    parsl.wait_for_current_tasks()
    assert all(f.done() for f in futs)


def test_exit_mode_wait_and_skip(run_dir: str) -> None:
    @python_app
    def slow() -> str:
        time.sleep(0.2)
        return "late"

    with parsl.load(Config(run_dir=run_dir, exit_mode="wait")):
        f = slow()
    assert f.result(timeout=0) == "late"

    d = parsl.load(Config(run_dir=run_dir, exit_mode="skip"))
    with d:
        pass
    assert not d.cleanup_called
    parsl.clear()
    assert d.cleanup_called


def test_exception_in_with_block_cleans_up_without_waiting(run_dir: str) -> None:
    release = threading.Event()

    @python_app
    def stuck() -> None:
        release.wait(30)

    t0 = time.monotonic()
    with pytest.raises(KeyError):
        with parsl.load(Config(run_dir=run_dir)):
            f = stuck()
            time.sleep(0.05)
            raise KeyError("user error")
    assert time.monotonic() - t0 < 5
    assert f.exception(timeout=5) is not None
    release.set()


def test_manual_checkpoint_through_dfk(run_dir: str) -> None:
    cached = python_app(cache=True)(lambda x: x * 3)
    with parsl.load(Config(run_dir=run_dir, checkpoint_mode="manual")) as d:
        cached(2).result(timeout=10)
        path = d.checkpoint()
    assert path is not None and os.path.isdir(path)


def test_memo_hit_within_run(run_dir: str, tmp_path: Path) -> None:
    marker = tmp_path / "runs"

    @python_app(cache=True)
    def once(x: int) -> int:
        with open(marker, "a") as fh:
            fh.write("x")
        return x * 2

    with parsl.load(Config(run_dir=run_dir)):
        assert once(4).result(timeout=10) == 8
        g = once(4)
        assert g.result(timeout=10) == 8
        assert g.task_status() == "memo_done"
    assert marker.read_text() == "x"

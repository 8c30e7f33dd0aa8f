"""The task facts on every TaskTransition the DataFlowKernel emits (issue 10's kernel side).

A real sink records the events of real workflows on a real ThreadPoolExecutor.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from concurrent.futures import Future
from pathlib import Path
from typing import Any

import pytest

import parsl
from parsl import File, bash_app, join_app, python_app
from parsl.app.futures import DataFuture
from parsl.config import Config
from parsl.dataflow.dflow import DataFlowKernel
from parsl.dataflow.states import FINAL_STATES, States
from parsl.dataflow.task_facts import file_names, future_ids, std_path
from parsl.executors import ThreadPoolExecutor
from parsl.monitoring.sink import MonitoringSink, TaskTransition


class RecordingSink(MonitoringSink):
    """Keeps every event, in the order the kernel emitted them."""

    def __init__(self) -> None:
        self.events: list[TaskTransition] = []
        self._lock = threading.Lock()

    def task_transition(self, event: TaskTransition) -> None:
        with self._lock:
            self.events.append(event)

    def close(self) -> None:
        pass

    def of(self, tid: int) -> list[TaskTransition]:
        with self._lock:
            return [e for e in self.events if e.task_id == tid]

    def states(self, tid: int) -> list[str]:
        return [e.state.name for e in self.of(tid)]


@pytest.fixture
def sink() -> RecordingSink:
    return RecordingSink()


def load(run_dir: str, sink: RecordingSink, **kw: Any) -> DataFlowKernel:
    return parsl.load(
        Config(
            executors=[ThreadPoolExecutor(max_threads=4, label="threads")],
            run_dir=run_dir,
            monitoring=sink,
            **kw,
        )
    )


@pytest.fixture
def mon(run_dir: str, sink: RecordingSink) -> Iterator[DataFlowKernel]:
    d = load(run_dir, sink, retries=2)
    try:
        yield d
    finally:
        parsl.clear()


@python_app
def add(a: int, b: int) -> int:
    return a + b


_tries: dict[str, int] = {}


@python_app
def flaky(key: str, failures: int) -> str:
    n = _tries.get(key, 0)
    _tries[key] = n + 1
    if n < failures:
        raise ValueError(f"{key} try {n}")
    return key


@python_app
def boom() -> None:
    raise RuntimeError("always")


def test_each_failed_try_is_one_fail_retryable_with_its_reason(
    mon: DataFlowKernel, sink: RecordingSink
) -> None:
    f = flaky("a", 2)
    assert f.result(timeout=10) == "a"
    ev = sink.of(f.tid)
    assert [(e.state.name, e.try_id) for e in ev] == [
        ("pending", 0),
        ("launched", 0),
        ("fail_retryable", 0),
        ("pending", 1),
        ("launched", 1),
        ("fail_retryable", 1),
        ("pending", 2),
        ("launched", 2),
        ("exec_done", 2),
    ]
    retryable = [e for e in ev if e.state is States.fail_retryable]
    assert [e.fail_reason for e in retryable] == ["ValueError: a try 0", "ValueError: a try 1"]
    assert [e.fail_history for e in retryable] == [
        ("ValueError: a try 0",),
        ("ValueError: a try 0", "ValueError: a try 1"),
    ]
    assert [e.fail_count for e in retryable] == [1, 2]
    assert [e.fail_cost for e in retryable] == [1.0, 2.0]
    assert ev[-1].fail_count == 2 and ev[-1].fail_reason is None


def test_try_time_launched_belongs_to_its_try(mon: DataFlowKernel, sink: RecordingSink) -> None:
    f = flaky("b", 1)
    f.result(timeout=10)
    ev = sink.of(f.tid)
    launched = [e for e in ev if e.state is States.launched]
    assert len(launched) == 2
    for e in launched:
        assert e.try_time_launched == e.timestamp
    by_try = {e.try_id: e.try_time_launched for e in launched}
    assert by_try[0] is not None and by_try[1] is not None and by_try[0] <= by_try[1]
    for e in ev:
        if e.state is States.pending:
            assert e.try_time_launched is None  # not launched yet in this try
        else:
            assert e.try_time_launched == by_try[e.try_id]


def test_a_task_out_of_retries_fails_with_its_whole_history(
    mon: DataFlowKernel, sink: RecordingSink
) -> None:
    f = boom()
    with pytest.raises(RuntimeError):
        f.result(timeout=10)
    ev = sink.of(f.tid)
    assert [e.state.name for e in ev if e.state is not States.pending] == [
        "launched",
        "fail_retryable",
        "launched",
        "fail_retryable",
        "launched",
        "failed",
    ]
    assert ev[-1].try_id == 2
    assert ev[-1].fail_history == ("RuntimeError: always",) * 3
    assert ev[-1].fail_reason == "RuntimeError: always"


def test_dependencies_appear_in_depends_on_every_event(
    mon: DataFlowKernel, sink: RecordingSink
) -> None:
    a = add(1, 2)
    b = add(3, 4)
    c = add(a, b)
    d = add(c, c)  # the same future twice is one dependency
    assert d.result(timeout=10) == 20
    assert all(e.depends == () for e in sink.of(a.tid))
    assert sink.states(c.tid) == ["pending", "launched", "exec_done"]
    assert all(e.depends == (a.tid, b.tid) for e in sink.of(c.tid))
    assert all(e.depends == (c.tid,) for e in sink.of(d.tid))


def test_a_failed_dependency_gives_dep_fail_naming_it(
    mon: DataFlowKernel, sink: RecordingSink
) -> None:
    bad = boom()
    after = add(bad, 1)
    with pytest.raises(Exception):
        after.result(timeout=10)
    assert sink.states(after.tid) == ["pending", "dep_fail"]
    final = sink.of(after.tid)[-1]
    assert final.depends == (bad.tid,)
    assert final.time_returned is not None and final.timestamp == final.time_returned
    assert final.fail_reason is not None and "DependencyError" in final.fail_reason


@python_app(cache=True)
def square(x: int) -> int:
    return x * x


def test_memoized_task_gives_memo_done_with_the_hashsum(
    mon: DataFlowKernel, sink: RecordingSink
) -> None:
    first = square(7)
    assert first.result(timeout=10) == 49
    again = square(7)
    assert again.result(timeout=10) == 49
    done = sink.of(first.tid)[-1]
    assert done.state is States.exec_done and done.memoize
    assert done.hashsum
    assert sink.states(again.tid) == ["pending", "memo_done"]
    memo = sink.of(again.tid)[-1]
    assert memo.memoize and memo.hashsum == done.hashsum
    assert all(not e.memoize and e.hashsum is None for e in sink.of(add(1, 1).tid))


@bash_app
def echo(word: str, stdout: Any = None, stderr: Any = None) -> str:
    return f"echo {word}; echo {word} >&2"


def test_bash_app_redirects_give_stdout_and_stderr(
    mon: DataFlowKernel, sink: RecordingSink, tmp_path: Path
) -> None:
    out, err = str(tmp_path / "o.txt"), str(tmp_path / "e.txt")
    f = echo("hi", stdout=out, stderr=(err, "w"))
    assert f.result(timeout=10) == 0
    ev = sink.of(f.tid)
    assert [e.state.name for e in ev] == ["pending", "launched", "exec_done"]
    assert all(e.stdout == out and e.stderr == err and e.stdin is None for e in ev)
    g = echo("auto", stdout=parsl.AUTO_LOGNAME)
    g.result(timeout=10)
    auto = sink.of(g.tid)[-1].stdout
    assert auto is not None and auto == g.stdout and os.path.exists(auto)


@join_app
def fan_out(n: int) -> list[Future[int]]:
    return [add(i, 1) for i in range(n)]


@join_app
def single() -> Future[int]:
    return add(40, 2)


def test_join_apps_name_the_tasks_they_joined(mon: DataFlowKernel, sink: RecordingSink) -> None:
    j = fan_out(3)
    assert j.result(timeout=10) == [1, 2, 3]
    ev = sink.of(j.tid)
    assert [e.state.name for e in ev] == ["pending", "launched", "joining", "exec_done"]
    joining = ev[2]
    assert len(joining.joins) == 3
    assert all(sink.states(t)[-1] == "exec_done" for t in joining.joins)
    assert ev[-1].joins == joining.joins
    assert all(e.joins == () for e in ev[:2])
    s = single()
    assert s.result(timeout=10) == 42
    (inner,) = sink.of(s.tid)[-1].joins
    assert sink.of(inner)[0].func_name == "add"


@python_app
def copy_file(inputs: list[Any] = [], outputs: list[File] = []) -> None:  # noqa: B006
    with open(inputs[0]) as src, open(outputs[0], "w") as dst:
        dst.write(src.read())


def test_file_inputs_and_outputs_appear(
    mon: DataFlowKernel, sink: RecordingSink, tmp_path: Path
) -> None:
    src = tmp_path / "a.txt"
    src.write_text("data")
    mid, last = str(tmp_path / "b.txt"), str(tmp_path / "c.txt")
    first = copy_file(inputs=[File(str(src))], outputs=[File(mid)])
    second = copy_file(inputs=[first.outputs[0]], outputs=[File(last)])
    second.result(timeout=10)
    assert Path(last).read_text() == "data"
    for e in sink.of(first.tid):
        assert e.inputs == (str(src),) and e.outputs == (mid,)
    for e in sink.of(second.tid):
        assert e.inputs == (mid,) and e.outputs == (last,)  # before launch: a DataFuture
        assert e.depends == (first.tid,)


def test_times_invoked_and_returned(mon: DataFlowKernel, sink: RecordingSink) -> None:
    f = add(1, 1)
    f.result(timeout=10)
    ev = sink.of(f.tid)
    invoked = ev[0].time_invoked
    assert invoked is not None
    assert all(e.time_invoked == invoked for e in ev)
    assert all(e.time_returned is None for e in ev if e.state not in FINAL_STATES)
    final = ev[-1]
    assert final.state in FINAL_STATES
    assert final.time_returned is not None and invoked <= final.time_returned
    assert final.timestamp == final.time_returned
    assert f.task_record.time_returned == final.time_returned
    assert [e.timestamp for e in ev] == sorted(e.timestamp for e in ev)
    assert all(e.executor == "threads" and e.func_name == "add" for e in ev)


def test_without_monitoring_nothing_extra_is_kept(run_dir: str) -> None:
    with parsl.load(Config(executors=[ThreadPoolExecutor(label="t")], run_dir=run_dir)):
        a = add(1, 1)
        b = add(a, 1)
        assert b.result(timeout=10) == 3
    assert b.task_record.facts is None
    assert b.task_record.time_returned is not None


def test_fact_helpers_on_odd_values(tmp_path: Path) -> None:
    plain: Future[int] = Future()
    datafut = DataFuture(plain, File(str(tmp_path / "x")), tid=5)
    assert future_ids([plain, datafut, datafut, "not a future"]) == (5,)
    assert file_names(None) == () and file_names("a.txt") == ()
    assert file_names([File("/a"), 3, datafut]) == ("/a", str(tmp_path / "x"))
    assert std_path(None) is None
    assert std_path(("/o", "a")) == "/o"
    assert std_path(tmp_path / "p") == str(tmp_path / "p")
    assert std_path(12) == "12"


@python_app
def pair(n: int) -> tuple[int, int]:
    return n, n


@python_app
def total(inputs: list[tuple[int, int]] = []) -> int:  # noqa: B006 - Parsl's idiom
    return sum(a + b for a, b in inputs)


def test_app_futures_in_inputs_start_no_extra_tasks(
    mon: DataFlowKernel, sink: RecordingSink
) -> None:
    # Reading the File behind an input must not look attributes up on an AppFuture:
    # that starts a dependent getattr task, which fails on a non-File result.
    parts = [pair(i) for i in range(3)]
    t = total(inputs=parts)
    assert t.result(timeout=10) == 6
    mon.wait_for_current_tasks()
    names = {e.func_name for e in sink.events}
    assert names == {"pair", "total"}
    assert all(e.inputs == () for e in sink.of(t.tid))
    assert not [e for e in sink.events if e.state is States.failed]

"""Errors on the way to the executor: unfixable ones fail at once, each task with its own exception."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import Future
from pathlib import Path
from typing import Any

import pytest

import parsl
from parsl import python_app
from parsl.config import Config
from parsl.dataflow.dflow import DataFlowKernel
from parsl.dataflow.submit_errors import LaunchInterrupted, own_exception
from parsl.executors import ThreadPoolExecutor
from parsl.executors.errors import BadStateException, InvalidResourceSpecification


@python_app
def double(x: int, parsl_resource_specification: dict[str, Any] | None = None) -> int:
    return 2 * x


class BrokenPool(ThreadPoolExecutor):
    """A pool that has entered a bad state with one shared exception (as executors record it)."""

    def __init__(self) -> None:
        super().__init__(label="broken")
        self._exception = BadStateException("broken", "its workers are gone")


class InterruptingPool(ThreadPoolExecutor):
    """Its submit is where Ctrl-C lands; the first call first makes another task ready."""

    def __init__(self) -> None:
        super().__init__(label="interrupting")
        self.calls = 0
        self.pending_dep: Future[Any] | None = None

    def submit(self, func: Any, spec: dict[str, Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        self.calls += 1
        if self.calls == 1 and self.pending_dep is not None:
            self.pending_dep.set_result(1)  # its dependent is queued behind this launch
        raise KeyboardInterrupt


def _load(tmp_path: Path, executor: ThreadPoolExecutor, retries: int) -> DataFlowKernel:
    return parsl.load(
        Config(
            executors=[executor],
            run_dir=str(tmp_path / "runinfo"),
            retries=retries,
            garbage_collect=False,
        )
    )


@pytest.fixture
def cleared() -> Iterator[None]:
    yield
    parsl.clear()


def test_a_task_on_an_executor_in_bad_state_fails_at_once_with_its_own_exception(
    tmp_path: Path, cleared: None
) -> None:
    pool = BrokenPool()
    dfk = _load(tmp_path, pool, retries=3)
    futs = [double(i) for i in range(3)]
    excs = [f.exception(timeout=10) for f in futs]
    assert all(isinstance(e, BadStateException) for e in excs)
    assert len({id(e) for e in excs}) == 3 and pool.executor_exception not in excs
    assert all(str(e) == str(pool.executor_exception) for e in excs)
    assert all(e.executor_label == "broken" for e in excs)  # type: ignore[union-attr]
    assert [dfk.tasks[f.tid].fail_count for f in futs] == [1, 1, 1]  # no retries
    assert excs[0] is not None
    excs[0].add_note("only for task 0")
    assert not getattr(excs[1], "__notes__", None)
    assert not getattr(pool.executor_exception, "__notes__", None)


def test_an_invalid_resource_specification_fails_at_once_without_retries(
    tmp_path: Path, cleared: None
) -> None:
    dfk = _load(tmp_path, ThreadPoolExecutor(label="threads"), retries=5)
    futs = [double(1, parsl_resource_specification={"cores": 2}) for _ in range(2)]
    excs = [f.exception(timeout=10) for f in futs]
    assert all(isinstance(e, InvalidResourceSpecification) for e in excs)
    assert excs[0] is not excs[1]
    assert [dfk.tasks[f.tid].fail_count for f in futs] == [1, 1]
    assert double(4).result(timeout=10) == 8  # the executor itself is fine


def test_ctrl_c_in_submit_reaches_the_caller_and_fails_every_task_being_launched(
    tmp_path: Path, cleared: None
) -> None:
    pool = InterruptingPool()
    dfk = _load(tmp_path, pool, retries=3)
    dep: Future[Any] = Future()
    waiting = double(dep)  # launched when dep is set, inside the first launch below
    pool.pending_dep = dep
    with pytest.raises(KeyboardInterrupt):
        double(1)
    first = dfk.tasks[1]
    for task in (first, dfk.tasks[waiting.tid]):
        assert task.app_fu is not None
        exc = task.app_fu.exception(timeout=0)
        assert isinstance(exc, LaunchInterrupted), exc
        assert isinstance(exc.__cause__, KeyboardInterrupt)
        assert task.fail_count == 1 and task.status.name == "failed"
    assert pool.calls == 1  # the queued task was failed, not launched after the interrupt


def test_system_exit_in_submit_reaches_the_caller(tmp_path: Path, cleared: None) -> None:
    class Exiting(ThreadPoolExecutor):
        def submit(self, *a: Any, **k: Any) -> Future[Any]:
            raise SystemExit(3)

    dfk = _load(tmp_path, Exiting(label="exiting"), retries=2)
    with pytest.raises(SystemExit):
        double(1)
    exc = dfk.tasks[0].app_fu.exception(timeout=0)  # type: ignore[union-attr]
    assert isinstance(exc, LaunchInterrupted) and "SystemExit" in str(exc)


class _Odd(Exception):
    def __init__(self, code: int, where: str) -> None:
        super().__init__(f"{where}: {code}")
        self.code = code


class _Unbuildable(Exception):
    def __new__(cls, *args: Any) -> _Unbuildable:
        if args:
            raise TypeError("only built without arguments")
        return super().__new__(cls)


def test_own_exception_copies_type_message_attributes_cause_and_traceback() -> None:
    try:
        try:
            raise ValueError("root")
        except ValueError as root:
            raise _Odd(7, "there") from root
    except _Odd as e:
        original = e
    original.add_note("shared note")
    copy = own_exception(original)
    assert copy is not original and type(copy) is _Odd
    assert str(copy) == str(original) and copy.code == 7
    assert isinstance(copy.__cause__, ValueError) and copy.__traceback__ is original.__traceback__
    copy.add_note("mine")
    assert original.__notes__ == ["shared note"]
    assert copy.__notes__ == ["shared note", "mine"]


def test_own_exception_returns_an_exception_it_cannot_copy_unchanged() -> None:
    e = _Unbuildable()
    e.args = ("x",)
    assert own_exception(e) is e

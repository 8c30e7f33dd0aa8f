"""A memoizer written to Parsl's ``Memoizer`` interface plugs into ``Config(memoizer=...)`` unchanged."""

from __future__ import annotations

import threading
from concurrent.futures import Future
from typing import Any

import pytest

import parsl
from parsl import python_app
from parsl.config import Config
from parsl.dataflow.memoization import BasicMemoizer, Memoizer
from parsl.dataflow.taskrecord import TaskRecord
from parsl.executors import ThreadPoolExecutor

calls: list[int] = []
calls_lock = threading.Lock()


@python_app(cache=True)
def square(x: int) -> int:
    with calls_lock:
        calls.append(x)
    return x * x


@python_app(cache=True)
def fails(x: int) -> int:
    raise ValueError(f"bad {x}")


class ByArgument(Memoizer):
    """Parsl's five methods and nothing more: remembers results keyed by the first argument."""

    def __init__(self) -> None:
        self.started: dict[str, str] = {}
        self.results: dict[Any, Any] = {}
        self.exceptions: list[BaseException] = []
        self.checked = 0
        self.closed = False

    def start(self, *, run_dir: str, config_run_dir: str) -> None:
        self.started = {"run_dir": run_dir, "config_run_dir": config_run_dir}

    def check_memo(self, task: TaskRecord) -> Future[Any] | None:
        self.checked += 1
        key = (task.func_name, task.args[0])
        if key not in self.results:
            task.hashsum = repr(key)
            return None
        fut: Future[Any] = Future()
        fut.set_result(self.results[key])
        return fut

    def update_memo_result(self, task: TaskRecord, r: Any) -> None:
        self.results[(task.func_name, task.args[0])] = r

    def update_memo_exception(self, task: TaskRecord, e: BaseException) -> None:
        self.exceptions.append(e)

    def close(self) -> None:
        self.closed = True


def test_a_parsl_style_memoizer_is_started_consulted_updated_and_closed(run_dir: str) -> None:
    memo = ByArgument()
    calls.clear()
    dfk = parsl.load(
        Config(executors=[ThreadPoolExecutor(label="t")], run_dir=run_dir, memoizer=memo)
    )
    try:
        assert memo.started == {"run_dir": dfk.run_dir, "config_run_dir": run_dir}
        assert square(3).result(timeout=10) == 9
        assert square(3).result(timeout=10) == 9  # from the memoizer: the app did not run
        assert calls == [3]
        assert memo.checked == 2
        with pytest.raises(ValueError, match="bad 1"):
            fails(1).result(timeout=10)
        assert [str(e) for e in memo.exceptions] == ["bad 1"]
        assert dfk.checkpoint() is None  # this memoizer writes no checkpoints
    finally:
        parsl.clear()
    assert memo.closed


def test_a_memoizer_missing_a_method_of_the_interface_cannot_be_made() -> None:
    class NoExceptions(Memoizer):
        def start(self, *, run_dir: str, config_run_dir: str) -> None: ...

        def check_memo(self, task: TaskRecord) -> Future[Any] | None:
            return None

        def update_memo_result(self, task: TaskRecord, r: Any) -> None: ...

        def close(self) -> None: ...

    with pytest.raises(TypeError, match="update_memo_exception"):
        NoExceptions()  # type: ignore[abstract]


def test_the_older_single_call_update_memo_hands_futures_to_the_two_methods() -> None:
    memo = ByArgument()
    task = TaskRecord.__new__(TaskRecord)
    task.func_name, task.args = "f", (7,)
    done: Future[Any] = Future()
    done.set_result(49)
    memo.update_memo(task, done)
    failed: Future[Any] = Future()
    failed.set_exception(KeyError("k"))
    memo.update_memo(task, failed)
    memo.update_memo(task, Future())  # not done: nothing recorded
    cancelled: Future[Any] = Future()
    cancelled.cancel()
    memo.update_memo(task, cancelled)
    assert memo.results == {("f", 7): 49}
    assert [type(e) for e in memo.exceptions] == [KeyError]


def test_basic_memoizer_takes_parsls_start_arguments(tmp_path: Any) -> None:
    memo = BasicMemoizer()
    memo.start(run_dir=str(tmp_path / "000"), config_run_dir=str(tmp_path))
    try:
        assert memo.checkpoint_dir == str(tmp_path / "000" / "checkpoint")
    finally:
        memo.close()

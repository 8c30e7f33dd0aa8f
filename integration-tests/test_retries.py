"""Retries: a flaky app that recovers, an exhausted budget, and a retry_handler's costs."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from parsl import bash_app, python_app
from parsl.app.errors import BashExitFailure
from parsl.dataflow.dflow import DataFlowKernel
from parsl.dataflow.errors import DependencyError
from parsl.dataflow.taskrecord import TaskRecord

Loader = Callable[..., DataFlowKernel]


def _bump(counter: str) -> int:
    """Add one to the number in file ``counter`` and return the new number."""
    path = Path(counter)
    n = int(path.read_text()) + 1 if path.exists() else 1
    path.write_text(str(n))
    return n


def _count(counter: Path) -> int:
    return int(counter.read_text()) if counter.exists() else 0


@python_app
def flaky(counter: str, failures: int) -> str:
    attempt = _bump(counter)
    if attempt <= failures:
        raise RuntimeError(f"attempt {attempt} failed")
    return f"succeeded on attempt {attempt}"


@python_app
def always_fails(counter: str, kind: str = "value") -> None:
    attempt = _bump(counter)
    if kind == "type":
        raise TypeError(f"attempt {attempt}: not worth retrying")
    raise ValueError(f"attempt {attempt}")


@bash_app
def flaky_bash(counter: str, failures: int) -> str:
    return (
        f"n=$(( $(cat {counter} 2>/dev/null || echo 0) + 1 )); echo $n > {counter}; "
        f"[ $n -gt {failures} ] || exit 3"
    )


@python_app
def downstream(x: object) -> object:
    return x


@pytest.mark.timeout(30)
@pytest.mark.parametrize(("failures", "retries"), [(1, 3), (2, 3), (3, 3), (4, 5)])
def test_flaky_app_recovers_within_its_retries(
    load_dfk: Loader, tmp_path: Path, failures: int, retries: int
) -> None:
    load_dfk(retries=retries)
    counter = tmp_path / "count"
    fut = flaky(str(counter), failures)
    assert fut.result(timeout=20) == f"succeeded on attempt {failures + 1}"
    assert _count(counter) == failures + 1
    record = fut.task_record
    assert record.fail_count == failures
    assert [str(e) for e in record.fail_history] == [
        f"attempt {i} failed" for i in range(1, failures + 1)
    ]
    assert record.try_id == failures
    assert fut.task_status() == "exec_done"


@pytest.mark.timeout(30)
def test_without_retries_the_first_failure_is_final(load_dfk: Loader, tmp_path: Path) -> None:
    load_dfk()
    counter = tmp_path / "count"
    exc = flaky(str(counter), 1).exception(timeout=20)
    assert isinstance(exc, RuntimeError)
    assert _count(counter) == 1


@pytest.mark.timeout(30)
@pytest.mark.parametrize("retries", [1, 2, 4])
def test_exhausted_retries_raise_the_last_exception(
    load_dfk: Loader, tmp_path: Path, retries: int
) -> None:
    load_dfk(retries=retries)
    counter = tmp_path / "count"
    fut = always_fails(str(counter))
    exc = fut.exception(timeout=20)
    assert isinstance(exc, ValueError)
    assert str(exc) == f"attempt {retries + 1}"
    assert _count(counter) == retries + 1
    history = fut.task_record.fail_history
    assert len(history) == retries + 1
    assert [str(e) for e in history] == [f"attempt {i}" for i in range(1, retries + 2)]
    assert history[-1] is exc
    assert fut.task_status() == "failed"


@pytest.mark.timeout(30)
def test_bash_app_retries_until_exit_zero(load_dfk: Loader, tmp_path: Path) -> None:
    load_dfk(retries=2)
    counter = tmp_path / "count"
    assert flaky_bash(str(counter), 2).result(timeout=20) == 0
    assert _count(counter) == 3

    other = tmp_path / "other"
    fut = flaky_bash(str(other), 5)
    exc = fut.exception(timeout=20)
    assert isinstance(exc, BashExitFailure) and exc.exitcode == 3
    assert _count(other) == 3
    assert len(fut.task_record.fail_history) == 3


def _costs(exc: BaseException, task: TaskRecord) -> float:
    """TypeError is never worth a retry; anything else costs half a retry."""
    if isinstance(exc, TypeError):
        return 100.0
    return 0.5


@pytest.mark.timeout(30)
def test_retry_handler_makes_some_failures_final(load_dfk: Loader, tmp_path: Path) -> None:
    load_dfk(retries=2, retry_handler=_costs)
    counter = tmp_path / "type"
    fut = always_fails(str(counter), kind="type")
    exc = fut.exception(timeout=20)
    assert isinstance(exc, TypeError)
    assert _count(counter) == 1
    assert len(fut.task_record.fail_history) == 1


@pytest.mark.timeout(30)
def test_retry_handler_cheap_failures_get_more_tries(load_dfk: Loader, tmp_path: Path) -> None:
    load_dfk(retries=2, retry_handler=_costs)
    counter = tmp_path / "value"
    fut = always_fails(str(counter))
    exc = fut.exception(timeout=20)
    assert isinstance(exc, ValueError)
    # Costs 0.5, 1.0, 1.5, 2.0 stay within retries=2; the fifth try's 2.5 does not.
    assert _count(counter) == 5
    assert str(exc) == "attempt 5"
    assert fut.task_record.fail_cost == pytest.approx(2.5)

    recovering = flaky(str(tmp_path / "recovering"), 3)
    assert recovering.result(timeout=20) == "succeeded on attempt 4"


@pytest.mark.timeout(30)
def test_retry_handler_that_raises_stops_retrying(load_dfk: Loader, tmp_path: Path) -> None:
    def broken_handler(exc: BaseException, task: TaskRecord) -> float:
        raise KeyError("handler bug")

    load_dfk(retries=3, retry_handler=broken_handler)
    counter = tmp_path / "count"
    exc = always_fails(str(counter)).exception(timeout=20)
    assert isinstance(exc, KeyError)  # as in Parsl: the task fails with the handler's exception
    assert isinstance(exc.__context__, ValueError)  # the task's own failure
    assert _count(counter) == 1
    assert any("retry_handler" in note for note in getattr(exc, "__notes__", []))


@pytest.mark.timeout(30)
def test_dependency_failures_are_not_retried(load_dfk: Loader, tmp_path: Path) -> None:
    load_dfk(retries=3)
    failing = always_fails(str(tmp_path / "count"))
    child = downstream(failing)
    exc = child.exception(timeout=20)
    assert isinstance(exc, DependencyError)
    assert _count(tmp_path / "count") == 4
    assert child.task_record.try_id == 0
    assert child.task_status() == "dep_fail"

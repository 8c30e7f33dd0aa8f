"""Error paths as Parsl documents them: dependency and join failures, retry handlers, memo failures."""

from __future__ import annotations

from concurrent.futures import Future
from typing import Any

import pytest

import parsl
from parsl import join_app, python_app
from parsl.dataflow.dflow import DataFlowKernel
from parsl.dataflow.errors import DependencyError, JoinError
from parsl.dataflow.memo_hash import id_for_memo
from parsl.errors import NoDataFlowKernelError


@python_app
def boom(msg: str) -> None:
    raise ValueError(msg)


@python_app
def add(a: int, b: int) -> int:
    return a + b


INNER: list[Future[Any]] = []


@join_app
def join_two() -> list[Future[Any]]:
    INNER[:] = [boom("x"), add(1, 2)]
    return list(INNER)


@python_app(cache=True)
def cached_boom(x: int) -> None:
    raise RuntimeError(f"cached failure {x}")


@python_app(cache=True)
def cached_identity(x: Any) -> Any:
    return x


class NoKey:
    """A type with no memoization key."""


class RaisingKey:
    """A type whose id_for_memo raises."""


class KeyFailure(Exception):
    pass


@id_for_memo.register(RaisingKey)
def _raising_key(obj: RaisingKey) -> bytes:
    raise KeyFailure("no key for you")


def test_dependency_error_names_app_futures_as_task_n(dfk: DataFlowKernel) -> None:
    bad = boom("a")
    with pytest.raises(DependencyError) as e:
        add(bad, 1).result(timeout=20)
    [(exc, name)] = e.value.dependent_exceptions_tids
    assert isinstance(exc, ValueError)
    assert name == f"task {bad.tid}"
    assert f"task {bad.tid}" in str(e.value)


def test_dependency_error_names_plain_futures_by_repr(dfk: DataFlowKernel) -> None:
    plain: Future[int] = Future()
    plain.set_exception(KeyError("k"))
    with pytest.raises(DependencyError) as e:
        add(plain, 1).result(timeout=20)
    [(exc, name)] = e.value.dependent_exceptions_tids
    assert isinstance(exc, KeyError)
    assert name == repr(plain)
    assert repr(plain) in str(e.value)


def test_join_error_names_inner_tasks(dfk: DataFlowKernel) -> None:
    with pytest.raises(JoinError) as e:
        join_two().result(timeout=20)
    a = INNER[0]
    assert [n for _, n in e.value.dependent_exceptions_tids] == [f"task {a.tid}"]
    assert f"task {a.tid}" in str(e.value)


def test_retry_handler_that_raises_fails_the_task_with_its_exception(run_dir: str) -> None:
    class HandlerBroke(Exception):
        pass

    def handler(exc: BaseException, record: Any) -> float:
        raise HandlerBroke("handler is broken")

    with parsl.load(parsl.Config(retries=3, retry_handler=handler, run_dir=run_dir)):
        fut = boom("original")
        with pytest.raises(HandlerBroke):
            fut.result(timeout=20)
        assert fut.task_record.fail_count == 1


def test_memoized_failure_is_the_very_same_exception(dfk: DataFlowKernel) -> None:
    first = cached_boom(1)
    with pytest.raises(RuntimeError):
        first.result(timeout=20)
    second = cached_boom(1)
    third = cached_boom(1)
    assert second.exception(timeout=20) is first.exception()
    assert third.exception(timeout=20) is first.exception()
    other = cached_boom(2)
    assert other.exception(timeout=20) is not first.exception()


def test_argument_without_memo_key_fails_with_value_error(dfk: DataFlowKernel) -> None:
    with pytest.raises(ValueError):
        cached_identity(NoKey()).result(timeout=20)


def test_argument_without_memo_key_after_a_dependency(dfk: DataFlowKernel) -> None:
    @python_app
    def make() -> NoKey:
        return NoKey()

    with pytest.raises(ValueError):
        cached_identity(make()).result(timeout=20)


def test_id_for_memo_that_raises_fails_the_task_with_that_exception(dfk: DataFlowKernel) -> None:
    with pytest.raises(KeyFailure, match="no key for you"):
        cached_identity(RaisingKey()).result(timeout=20)


def test_no_dfk_error_message_is_parsls() -> None:
    parsl.clear()
    with pytest.raises(NoDataFlowKernelError) as e:
        parsl.dfk()
    assert str(e.value) == "Must first load config"
    with pytest.raises(NoDataFlowKernelError) as e:
        add(1, 2)
    assert str(e.value) == "Must first load config"

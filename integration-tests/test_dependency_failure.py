"""Failures propagate downstream as DependencyError that names the failed tasks and keeps the cause."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future
from pathlib import Path
from typing import Any

import pytest

from parsl import join_app, python_app
from parsl.dataflow.dependency_resolvers import DEEP_DEPENDENCY_RESOLVER
from parsl.dataflow.dflow import DataFlowKernel
from parsl.dataflow.errors import DependencyError, JoinError
from parsl.errors import ParslError

Loader = Callable[..., DataFlowKernel]


class RootProblem(Exception):
    """The failure at the bottom of the chain."""


@python_app
def explode(message: str) -> int:
    raise RootProblem(message)


@python_app
def value(x: int) -> int:
    return x


@python_app
def step(x: int, ran: str) -> int:
    with open(ran, "a") as f:
        f.write("ran\n")
    return x + 1


@python_app
def keyword_user(*, left: int, right: int = 0) -> int:
    return left + right


@python_app
def sum_inputs(inputs: list[int] = []) -> int:  # noqa: B006
    return sum(inputs)


@python_app
def describe(items: Any, mapping: Any) -> tuple[Any, Any]:
    return items, mapping


@join_app
def gather_some(n: int, fail_at: int) -> list[Future[int]]:
    return [explode(f"inner {i}") if i == fail_at else value(i) for i in range(n)]


@pytest.mark.timeout(30)
def test_failure_propagates_through_three_levels(dfk: DataFlowKernel, tmp_path: Path) -> None:
    ran = tmp_path / "ran.txt"
    root = explode("disk on fire")
    level1 = step(root, str(ran))
    level2 = step(level1, str(ran))
    level3 = step(level2, str(ran))

    exc3 = level3.exception(timeout=20)
    exc2, exc1 = level2.exception(), level1.exception()
    assert isinstance(root.exception(), RootProblem)
    for exc, parent, fut in ((exc1, root, level1), (exc2, level1, level2), (exc3, level2, level3)):
        assert isinstance(exc, DependencyError)
        assert isinstance(exc, ParslError)
        assert exc.failed_task_ids == [parent.tid]
        assert exc.task_id == fut.tid
        assert f"task {parent.tid}" in str(exc)
        # As in Parsl: the cause is the app's own error at the bottom of the chain, so a
        # traceback of any level shows it; the chain itself is in dependent_exceptions_tids.
        assert exc.__cause__ is root.exception()
        assert exc.dependent_exceptions_tids[0][0] is parent.exception()
        assert exc.root_cause is root.exception()
        assert fut.task_status() == "dep_fail"
    assert isinstance(exc3, DependencyError)
    assert str(exc3.root_cause) == "disk on fire"
    assert not ran.exists(), "a task whose dependency failed must not run"


@pytest.mark.timeout(30)
def test_failed_keyword_argument_dependency(dfk: DataFlowKernel) -> None:
    bad = explode("kw")
    exc = keyword_user(left=value(1), right=bad).exception(timeout=20)
    assert isinstance(exc, DependencyError)
    assert exc.failed_task_ids == [bad.tid]
    assert isinstance(exc.root_cause, RootProblem)
    assert keyword_user(left=value(1), right=value(2)).result(timeout=20) == 3


@pytest.mark.timeout(30)
def test_failed_inputs_are_named_and_good_ones_are_not(dfk: DataFlowKernel) -> None:
    good = [value(i) for i in range(3)]
    bad_a, bad_b = explode("a"), explode("b")
    fut = sum_inputs(inputs=[good[0], bad_a, good[1], bad_b, good[2]])
    exc = fut.exception(timeout=20)
    assert isinstance(exc, DependencyError)
    assert sorted(exc.failed_task_ids) == sorted([bad_a.tid, bad_b.tid])
    for g in good:
        assert f"task {g.tid}" not in str(exc)
    assert f"task {bad_a.tid}" in str(exc) and f"task {bad_b.tid}" in str(exc)
    assert {str(e) for e, _ in exc.dependent_exceptions_tids} == {"a", "b"}


@pytest.mark.timeout(30)
def test_failed_plain_future_dependency(dfk: DataFlowKernel) -> None:
    plain: Future[int] = Future()
    fut = value(plain)
    plain.set_exception(RootProblem("plain future failed"))
    exc = fut.exception(timeout=20)
    assert isinstance(exc, DependencyError)
    assert exc.failed_task_ids == []
    assert isinstance(exc.root_cause, RootProblem)


@pytest.mark.timeout(30)
def test_shallow_resolver_passes_nested_futures_unresolved(dfk: DataFlowKernel) -> None:
    inner = value(5)
    inner.result(timeout=20)
    items, mapping = describe([inner], {"k": inner}).result(timeout=20)
    assert items[0] is inner
    assert mapping["k"] is inner


@pytest.mark.timeout(30)
def test_deep_resolver_resolves_futures_inside_containers(load_dfk: Loader) -> None:
    load_dfk(dependency_resolver=DEEP_DEPENDENCY_RESOLVER)
    a, b, c = value(1), value(2), value(3)
    items, mapping = describe(
        [a, (b, [c, "plain"])], {"one": a, "nested": {"two": b}, "set": {7, 8}}
    ).result(timeout=20)
    assert items == [1, (2, [3, "plain"])]
    assert mapping == {"one": 1, "nested": {"two": 2}, "set": {7, 8}}


@pytest.mark.timeout(30)
def test_deep_resolver_waits_for_nested_futures(load_dfk: Loader) -> None:
    load_dfk(dependency_resolver=DEEP_DEPENDENCY_RESOLVER)
    pending: Future[int] = Future()
    fut = describe([pending], {})
    with pytest.raises(TimeoutError):
        fut.result(timeout=0.3)
    pending.set_result(9)
    assert fut.result(timeout=20) == ([9], {})


@pytest.mark.timeout(30)
def test_deep_resolver_propagates_nested_failures(load_dfk: Loader) -> None:
    load_dfk(dependency_resolver=DEEP_DEPENDENCY_RESOLVER)
    bad = explode("nested")
    fut = describe([value(1)], {"deep": [bad]})
    exc = fut.exception(timeout=20)
    assert isinstance(exc, DependencyError)
    assert exc.failed_task_ids == [bad.tid]
    assert isinstance(exc.root_cause, RootProblem)
    assert str(exc.root_cause) == "nested"


@pytest.mark.timeout(30)
def test_join_app_inner_failure_is_join_error_and_propagates(dfk: DataFlowKernel) -> None:
    joined = gather_some(4, fail_at=2)
    exc = joined.exception(timeout=20)
    assert isinstance(exc, JoinError)
    assert len(exc.failed_task_ids) == 1
    assert f"task {exc.failed_task_ids[0]}" in str(exc)
    assert isinstance(exc.root_cause, RootProblem)
    assert str(exc.root_cause) == "inner 2"

    after = value(joined)
    dep = after.exception(timeout=20)
    assert isinstance(dep, DependencyError)
    assert dep.failed_task_ids == [joined.tid]
    assert str(dep.root_cause) == "inner 2"
    assert gather_some(3, fail_at=-1).result(timeout=20) == [0, 1, 2]

"""Dependency graphs: a diamond whose join waits for both branches, and a deep chain."""

from __future__ import annotations

import threading
import time

import pytest

from parsl import python_app
from parsl.dataflow.dflow import DataFlowKernel
from parsl.dataflow.futures import AppFuture

_log_lock = threading.Lock()


@python_app
def source(x: int, log: list[tuple[str, str, float]]) -> int:
    with _log_lock:
        log.append(("a", "start", time.monotonic()))
    time.sleep(0.05)
    with _log_lock:
        log.append(("a", "end", time.monotonic()))
    return x + 1


@python_app
def branch(name: str, y: int, factor: int, log: list[tuple[str, str, float]]) -> int:
    with _log_lock:
        log.append((name, "start", time.monotonic()))
    time.sleep(0.2)
    with _log_lock:
        log.append((name, "end", time.monotonic()))
    return y * factor


@python_app
def join(p: int, q: int, log: list[tuple[str, str, float]]) -> int:
    with _log_lock:
        log.append(("d", "start", time.monotonic()))
    return p + q


@python_app
def increment(x: int) -> int:
    return x + 1


@python_app
def gated(x: int, gate: threading.Event) -> int:
    if not gate.wait(30):
        raise TimeoutError("gate was never opened")
    return x


@pytest.mark.timeout(30)
def test_diamond_values_and_order(dfk: DataFlowKernel) -> None:
    log: list[tuple[str, str, float]] = []
    a = source(1, log)
    b = branch("b", a, 2, log)
    c = branch("c", a, 3, log)
    d = join(b, c, log)

    assert d.result(timeout=20) == (1 + 1) * 2 + (1 + 1) * 3
    assert (a.result(), b.result(), c.result()) == (2, 4, 6)

    when = {(name, what): t for name, what, t in log}
    assert when[("a", "end")] <= when[("b", "start")]
    assert when[("a", "end")] <= when[("c", "start")]
    assert max(when[("b", "end")], when[("c", "end")]) <= when[("d", "start")]
    # The two branches ran side by side on the four threads.
    assert when[("b", "start")] < when[("c", "end")]
    assert when[("c", "start")] < when[("b", "end")]

    assert [f.task_status() for f in (a, b, c, d)] == ["exec_done"] * 4
    assert len({f.tid for f in (a, b, c, d)}) == 4


@pytest.mark.timeout(30)
def test_diamond_join_waits_for_the_slower_branch(dfk: DataFlowKernel) -> None:
    gate = threading.Event()
    a = increment(0)
    fast = increment(a)
    slow = gated(a, gate)
    d = join(fast, slow, [])
    assert fast.result(timeout=10) == 2
    time.sleep(0.2)
    assert not d.done(), "the join ran before its slow branch finished"
    assert d.task_status() == "pending"
    gate.set()
    assert d.result(timeout=10) == 3


@pytest.mark.timeout(60)
def test_deep_chain_of_1000_tasks(dfk: DataFlowKernel) -> None:
    futures: list[AppFuture] = []
    f = increment(0)
    futures.append(f)
    for _ in range(999):
        f = increment(f)
        futures.append(f)
    assert f.result(timeout=50) == 1000
    assert [x.result() for x in futures] == list(range(1, 1001))
    assert dfk.tasks_failed == 0


@pytest.mark.timeout(60)
def test_deep_chain_built_before_the_first_task_finishes(dfk: DataFlowKernel) -> None:
    """The whole chain is pending when its head completes: completion must not recurse 1,000 deep."""
    gate = threading.Event()
    head = gated(0, gate)
    f = head
    for _ in range(1000):
        f = increment(f)
    time.sleep(0.1)
    assert not f.done()
    gate.set()
    assert f.result(timeout=50) == 1000
    assert dfk.tasks_failed == 0

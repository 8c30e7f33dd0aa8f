"""Wide graphs: 10,000 independent tasks, then one task that gathers them all."""

from __future__ import annotations

import threading
import time

import pytest

from parsl import join_app, python_app
from parsl.dataflow.dflow import DataFlowKernel
from parsl.dataflow.futures import AppFuture

N = 10_000


@python_app
def square(i: int) -> int:
    return i * i


@python_app
def total(inputs: list[int] = []) -> tuple[int, int]:  # noqa: B006  (Parsl's documented form)
    return sum(inputs), len(inputs)


@join_app
def squares_of(n: int) -> list[AppFuture]:
    return [square(i) for i in range(n)]


@python_app
def add_all(*values: int) -> int:
    return sum(values)


@pytest.mark.timeout(120)
def test_fan_out_10000_then_fan_in(dfk: DataFlowKernel) -> None:
    parts = [square(i) for i in range(N)]
    fan_in = total(inputs=parts)
    assert fan_in.result(timeout=100) == (sum(i * i for i in range(N)), N)
    assert all(p.done() and p.exception() is None for p in parts)
    assert dfk.tasks_completed == N + 1
    assert dfk.tasks_failed == 0


@python_app
def gated_square(i: int, gate: threading.Event) -> int:
    if not gate.wait(30):
        raise TimeoutError("gate was never opened")
    return i * i


@pytest.mark.timeout(120)
def test_fan_in_waits_for_its_last_part(dfk: DataFlowKernel, release: threading.Event) -> None:
    """Every part but one finishes; the fan-in must still wait for that one."""
    last = gated_square(N, release)
    parts = [square(i) for i in range(N)]
    fan_in = total(inputs=[*parts, last])
    assert all(p.result(timeout=100) == i * i for i, p in enumerate(parts))
    time.sleep(0.2)
    assert not fan_in.done()
    release.set()
    value, count = fan_in.result(timeout=30)
    assert count == N + 1
    assert value == sum(i * i for i in range(N + 1))


@pytest.mark.timeout(120)
def test_join_app_fans_out_inside_a_task(dfk: DataFlowKernel) -> None:
    joined = squares_of(2_000)
    result = joined.result(timeout=100)
    assert result == [i * i for i in range(2_000)]


@pytest.mark.timeout(60)
def test_fan_in_through_positional_varargs(dfk: DataFlowKernel) -> None:
    parts = [square(i) for i in range(500)]
    assert add_all(*parts).result(timeout=50) == sum(i * i for i in range(500))

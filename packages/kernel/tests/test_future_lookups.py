"""``fut[key]`` and ``fut.name``: lookups on a future's result run as dependent tasks."""

from __future__ import annotations

import copy
import pickle
import threading
from collections.abc import Iterable
from concurrent.futures import as_completed, wait
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

import parsl
from parsl import python_app
from parsl.config import Config
from parsl.dataflow.dflow import INTERNAL, DataFlowKernel
from parsl.dataflow.errors import DependencyError
from parsl.dataflow.futures import AppFuture
from parsl.errors import NoDataFlowKernelError
from parsl.executors import ThreadPoolExecutor

RECORD = {"rows": [{"x": 1, "y": 2}, {"x": 3, "y": 4}], "name": "run-7"}


@dataclass
class Point:
    x: int
    y: int

    def norm1(self) -> int:
        return abs(self.x) + abs(self.y)


@python_app
def record() -> dict[str, Any]:
    return RECORD


@python_app
def point(x: int, y: int) -> Point:
    return Point(x, y)


@python_app
def const(v: Any) -> Any:
    return v


@python_app
def explode() -> dict[str, int]:
    raise RuntimeError("parent failed")


@python_app
def gated(gate: threading.Event, value: Any) -> Any:
    if not gate.wait(30):
        raise TimeoutError("gate never opened")
    return value


def test_getitem_gives_a_future_of_the_item(dfk: DataFlowKernel) -> None:
    fut = record()
    name = fut["name"]
    assert isinstance(name, AppFuture)
    assert name.result(timeout=10) == "run-7"
    assert name.task_record.executor == INTERNAL
    assert name.task_record.func_name == "getitem"
    assert name.tid == fut.tid + 1  # the next id of the same DataFlowKernel


def test_lookups_chain(dfk: DataFlowKernel) -> None:
    fut = record()
    assert fut["rows"][0]["x"].result(timeout=10) == 1
    assert fut["rows"][1]["y"].result(timeout=10) == 4
    rows = const([{"x": 5}])
    assert rows[0]["x"].result(timeout=10) == 5
    assert rows[-1]["x"].result(timeout=10) == 5


def test_lookup_waits_for_the_parent(dfk: DataFlowKernel) -> None:
    gate = threading.Event()
    parent = gated(gate, {"k": "v"})
    child = parent["k"]
    assert not child.done()
    assert child.task_status() == "pending"
    gate.set()
    assert child.result(timeout=10) == "v"
    assert parent.done()


def test_key_may_itself_be_a_future(dfk: DataFlowKernel) -> None:
    assert record()[const("name")].result(timeout=10) == "run-7"


def test_attribute_access_gives_a_future_of_the_attribute(dfk: DataFlowKernel) -> None:
    p = point(3, -4)
    assert p.x.result(timeout=10) == 3
    assert p.y.result(timeout=10) == -4
    assert p.x.task_record.func_name == "getattr"
    method = p.norm1.result(timeout=10)
    assert method() == 7
    assert point(1, 2).x.real.result(timeout=10) == 1  # chained attributes


def test_own_members_are_not_lookups(dfk: DataFlowKernel) -> None:
    fut = const({"tid": 99, "outputs": 1})
    assert isinstance(fut.tid, int)
    assert fut.outputs == []
    assert fut.result(timeout=10) == {"tid": 99, "outputs": 1}
    assert fut["tid"].result(timeout=10) == 99


def test_failed_lookup_is_the_new_futures_exception(dfk: DataFlowKernel) -> None:
    fut = record()
    missing = fut["nope"]
    assert isinstance(missing.exception(timeout=10), KeyError)
    with pytest.raises(KeyError, match="nope"):
        missing.result()
    assert missing.task_status() == "failed"
    assert isinstance(fut["rows"][7].exception(timeout=10), IndexError)
    assert isinstance(point(1, 2).z.exception(timeout=10), AttributeError)
    assert isinstance(const(5)["k"].exception(timeout=10), TypeError)
    assert fut.result() == RECORD  # the parent is untouched


def test_failures_propagate_down_a_chain(dfk: DataFlowKernel) -> None:
    parent = explode()
    child = parent["a"]
    grandchild = child["b"]
    exc = grandchild.exception(timeout=10)
    assert isinstance(exc, DependencyError)
    assert exc.root_cause is parent.exception()
    assert isinstance(exc.root_cause, RuntimeError)
    assert child.task_status() == "dep_fail"
    assert grandchild.task_status() == "dep_fail"
    # A failed lookup propagates the same way.
    after_key_error = record()["nope"]["x"]
    err = after_key_error.exception(timeout=10)
    assert isinstance(err, DependencyError)
    assert isinstance(err.root_cause, KeyError)


def test_concurrent_futures_apis_still_work(dfk: DataFlowKernel) -> None:
    futs = [const(i) for i in range(5)]
    lookups = [record()["rows"][i % 2]["x"] for i in range(5)]
    done, not_done = wait([*futs, *lookups], timeout=10)
    assert not not_done
    assert done == {*futs, *lookups}
    seen = {f.result() for f in as_completed([*futs, *lookups], timeout=10)}
    assert seen == {0, 1, 2, 3, 4}
    assert sorted(f.result() for f in lookups) == [1, 1, 1, 3, 3]


def test_private_and_dunder_names_never_become_tasks(dfk: DataFlowKernel) -> None:
    fut = record()
    fut.result(timeout=10)
    before = len(dfk.tasks)
    fields = set(vars(fut))
    with pytest.raises(AttributeError, match="_private"):
        fut._private  # noqa: B018
    assert not hasattr(fut, "__array__")
    assert not hasattr(fut, "__fspath__")
    assert not hasattr(fut, "_ipython_display_")
    copied = copy.copy(fut)
    assert copied.result() == RECORD
    with pytest.raises(TypeError, match="pickle"):
        pickle.dumps(fut)
    assert len(dfk.tasks) == before
    fut["name"].result(timeout=10)
    assert set(vars(fut)) == fields  # lookups add no per-future state


def test_a_future_is_not_iterable(dfk: DataFlowKernel) -> None:
    fut: Any = const([1, 2])
    fut.result(timeout=10)
    before = len(dfk.tasks)
    with pytest.raises(TypeError, match="not iterable"):
        iter(fut)
    with pytest.raises(TypeError, match="not iterable"):
        1 in fut  # noqa: B015
    assert not isinstance(fut, Iterable)
    assert len(dfk.tasks) == before


def test_half_built_future_does_not_submit() -> None:
    bare = AppFuture.__new__(AppFuture)
    with pytest.raises(AttributeError, match="tid"):
        bare.tid  # noqa: B018
    with pytest.raises(AttributeError, match="anything"):
        bare.anything  # noqa: B018


def test_lookup_without_a_loaded_dfk_is_a_clear_error(run_dir: str) -> None:
    parsl.load(Config(executors=[ThreadPoolExecutor(label="t")], run_dir=run_dir))
    try:
        fut = record()
        fut.result(timeout=10)
    finally:
        parsl.clear()
    with pytest.raises(NoDataFlowKernelError, match=r"fut\['name'\] on task 0 .*parsl.load"):
        fut["name"]
    with pytest.raises(NoDataFlowKernelError, match=r"fut\.rows .*parsl.load"):
        fut.rows  # noqa: B018


def test_lookups_stay_on_an_explicit_dfk(tmp_path: Path) -> None:
    with pytest.raises(NoDataFlowKernelError):
        parsl.dfk()
    dfk = DataFlowKernel(
        Config(executors=[ThreadPoolExecutor(label="own")], run_dir=str(tmp_path / "run"))
    )
    try:
        own_record = python_app(data_flow_kernel=dfk)(lambda: RECORD)
        chained = own_record()["rows"][1]["x"]
        assert chained.result(timeout=10) == 3
        # Ids 0..3 of this DataFlowKernel: the app's task, then the three lookups.
        assert chained.tid == 3
        assert dfk.tasks_completed == 4
    finally:
        dfk.cleanup()

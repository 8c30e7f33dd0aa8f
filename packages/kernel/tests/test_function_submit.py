"""Parsl's DataFlowKernel.submit(func, app_args, executors, cache, ignore_for_cache, app_kwargs, join)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import parsl
from parsl.app.app import AppBase
from parsl.app.errors import wrap_error
from parsl.config import Config
from parsl.dataflow.dflow import DataFlowKernel
from parsl.errors import ConfigurationError
from parsl.executors import ThreadPoolExecutor

pytestmark = pytest.mark.timeout(30)


@pytest.fixture
def dfk(tmp_path: Path) -> Iterator[DataFlowKernel]:
    config = Config(
        executors=[ThreadPoolExecutor(label="a"), ThreadPoolExecutor(label="b")],
        run_dir=str(tmp_path),
    )
    with parsl.load(config) as d:
        yield d


def add(a: int, b: int = 0) -> int:
    return a + b


def fail() -> None:
    raise KeyError("nope")


def test_plain_function_with_app_args_and_kwargs(dfk: DataFlowKernel) -> None:
    fut = dfk.submit(add, app_args=(1,), app_kwargs={"b": 2}, executors=["b"])
    assert fut.result() == 3
    assert fut.task_record.executor == "b"
    assert dfk.submit(add, (4,)).result() == 4  # app_args positional, as in Parsl


def test_dependencies_and_wrapped_errors(dfk: DataFlowKernel) -> None:
    first = dfk.submit(add, app_args=(1, 1))
    assert dfk.submit(add, app_args=(first, 1)).result() == 3
    with pytest.raises(KeyError, match="nope"):
        dfk.submit(wrap_error(fail), app_args=()).result()


def test_cache_and_join(dfk: DataFlowKernel) -> None:
    assert dfk.submit(add, app_args=(5, 5), cache=True).result() == 10
    b = dfk.submit(add, app_args=(5, 5), cache=True)
    assert b.result() == 10
    assert b.task_status() == "memo_done"

    def inner(x: int) -> Any:
        return dfk.submit(add, app_args=(x, 1))

    assert dfk.submit(inner, app_args=(2,), join=True).result() == 3


def test_an_app_subclass_calling_submit_with_its_function(dfk: DataFlowKernel) -> None:
    class ThirdPartyApp(AppBase):  # the shape of app decorators written for Parsl
        def __call__(self, *args: Any, **kwargs: Any) -> Any:
            return dfk.submit(
                self.func,
                app_args=args,
                executors=self.executors,
                cache=self.cache,
                ignore_for_cache=self.ignore_for_cache,
                app_kwargs={**self.kwargs, **kwargs},
                join=False,
            )

    app = ThirdPartyApp(wrap_error(add), executors=["a"])
    assert app.kwargs == {}
    assert app(2, b=3).result() == 5


def test_not_callable_or_bad_join_is_a_clear_error(dfk: DataFlowKernel) -> None:
    with pytest.raises(ConfigurationError, match="func"):
        dfk.submit(42, app_args=())  # type: ignore[arg-type]
    with pytest.raises(ConfigurationError, match="join"):
        dfk.submit(add, app_args=(1,), join="yes")  # type: ignore[arg-type]

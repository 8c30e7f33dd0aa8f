"""``dfk.add_executors``: executors added to a running workflow, and what it refuses."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent.futures import Future
from typing import Any

import pytest

import parsl
from parsl import python_app
from parsl.config import Config
from parsl.dataflow.dflow import DataFlowKernel
from parsl.errors import ConfigurationError
from parsl.executors import ThreadPoolExecutor
from parsl.executors.base import ParslExecutor
from parsl.executors.errors import BadStateException


def thread_name() -> str:
    return threading.current_thread().name


class BrokenStart(ParslExecutor):
    """An executor whose start() fails; records whether it was shut down."""

    def __init__(self, label: str) -> None:
        super().__init__()
        self.label = label
        self.shut_down = False

    def start(self) -> None:
        raise RuntimeError("no workers for you")

    def submit(
        self, func: Any, resource_specification: dict[str, Any], *args: Any, **kwargs: Any
    ) -> Future[Any]:
        raise AssertionError("never started, never used")

    def shutdown(self) -> None:
        self.shut_down = True


@pytest.fixture
def loaded(run_dir: str) -> Iterator[DataFlowKernel]:
    dfk = parsl.load(Config(executors=[ThreadPoolExecutor(label="first")], run_dir=run_dir))
    try:
        yield dfk
    finally:
        parsl.clear()


def test_an_added_executor_runs_tasks_by_label_and_is_shut_down_at_cleanup(
    loaded: DataFlowKernel,
) -> None:
    late = ThreadPoolExecutor(label="late", thread_name_prefix="late-pool")
    loaded.add_executors([late])
    assert loaded.executors["late"] is late
    assert late.run_dir == loaded.run_dir
    on_late = python_app(thread_name, executors=["late"])
    assert on_late().result(timeout=10).startswith("late-pool")
    # 'all' now chooses among both user executors (never the internal one).
    ran_on = {python_app(thread_name)().result(timeout=10).split("_")[0] for _ in range(40)}
    assert any(name.startswith("late-pool") for name in ran_on)
    loaded.cleanup()
    with pytest.raises(BadStateException, match="shut down"):
        late.submit(thread_name, {})


@pytest.mark.parametrize(
    ("executors", "error", "message"),
    [
        (ThreadPoolExecutor(label="solo"), ConfigurationError, "a list of executors"),
        ("threads", ConfigurationError, "a list of executors"),
        (["not an executor"], ConfigurationError, "a list of parsl executors"),
        ([ThreadPoolExecutor(label="first")], ConfigurationError, "'first' is already in this run"),
        ([ThreadPoolExecutor(label="_parsl_internal")], ConfigurationError, "already in this run"),
        (
            [ThreadPoolExecutor(label="twin"), ThreadPoolExecutor(label="twin")],
            ConfigurationError,
            "'twin' is already",
        ),
    ],
)
def test_bad_arguments_are_refused_before_anything_starts(
    loaded: DataFlowKernel, executors: Any, error: type[Exception], message: str
) -> None:
    before = dict(loaded.executors)
    with pytest.raises(error, match=message):
        loaded.add_executors(executors)
    assert loaded.executors == before
    # The run goes on as it was.
    assert python_app(thread_name)().result(timeout=10)


def test_an_executor_that_fails_to_start_is_shut_down_and_left_out(
    loaded: DataFlowKernel,
) -> None:
    good, bad = ThreadPoolExecutor(label="good"), BrokenStart("bad")
    with pytest.raises(RuntimeError, match="no workers for you"):
        loaded.add_executors([good, bad])
    assert bad.shut_down and "bad" not in loaded.executors
    # The one before it in the list stays, and works.
    assert loaded.executors["good"] is good
    assert python_app(thread_name, executors=["good"])().result(timeout=10)


def test_add_executors_after_cleanup_is_an_error(run_dir: str) -> None:
    dfk = parsl.load(Config(executors=[ThreadPoolExecutor(label="first")], run_dir=run_dir))
    parsl.clear()
    extra = ThreadPoolExecutor(label="late")
    with pytest.raises(ConfigurationError, match="after cleanup"):
        dfk.add_executors([extra])
    assert "late" not in dfk.executors

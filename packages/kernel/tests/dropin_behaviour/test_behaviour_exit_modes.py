"""``with parsl.load(config)`` and Config.exit_mode, as Parsl documents them."""

from __future__ import annotations

import threading
import time

import pytest
from typeguard import TypeCheckError

import parsl
from parsl import python_app
from parsl.config import Config
from parsl.errors import NoDataFlowKernelError


class Boom(Exception):
    pass


@python_app
def sleepy(seconds: float) -> float:
    time.sleep(seconds)
    return seconds


@python_app
def wait_event(ev: threading.Event) -> bool:
    return ev.wait(30)


def test_cleanup_mode_removes_the_global_dfk(run_dir: str) -> None:
    with parsl.load(Config(run_dir=run_dir)) as dfk:
        assert sleepy(0).result(timeout=20) == 0
    assert dfk.cleanup_called
    with pytest.raises(NoDataFlowKernelError, match="^Must first load config$"):
        parsl.dfk()


def test_skip_mode_leaves_the_dfk_loaded(run_dir: str) -> None:
    with parsl.load(Config(run_dir=run_dir, exit_mode="skip")) as dfk:
        fut = sleepy(0)
    try:
        assert not dfk.cleanup_called
        assert parsl.dfk() is dfk
        assert fut.result(timeout=20) == 0
    finally:
        parsl.clear()
    assert dfk.cleanup_called


def test_wait_mode_waits_for_tasks(run_dir: str) -> None:
    with parsl.load(Config(run_dir=run_dir, exit_mode="wait")) as dfk:
        fut = sleepy(0.5)
    assert fut.done() and fut.result() == 0.5
    assert dfk.cleanup_called
    with pytest.raises(NoDataFlowKernelError):
        parsl.dfk()


def test_wait_mode_with_exception_cleans_up_without_waiting(run_dir: str) -> None:
    ev = threading.Event()
    start = time.monotonic()
    try:
        with pytest.raises(Boom):
            with parsl.load(Config(run_dir=run_dir, exit_mode="wait")) as dfk:
                blocked = wait_event(ev)
                after = sleepy(blocked)  # can no longer run once the block fails
                raise Boom
        assert time.monotonic() - start < 20  # did not wait for the 30 s task
        assert dfk.cleanup_called
        with pytest.raises(NoDataFlowKernelError):
            parsl.dfk()
        assert after.task_status() != "exec_done"
    finally:
        ev.set()


def test_bad_exit_mode_is_a_type_error_at_construction() -> None:
    with pytest.raises(TypeCheckError):
        Config(exit_mode="wrong")  # type: ignore[arg-type]

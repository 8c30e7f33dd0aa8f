"""Leaving a workflow: exit modes, sequential loads, clear(), waiting, and bounded cleanup."""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from child_processes import Scripts, group_alive, wait_until

import parsl
from parsl import bash_app, join_app, python_app
from parsl.config import Config
from parsl.dataflow.dflow import CleanedUp, DataFlowKernel
from parsl.dataflow.errors import DependencyError
from parsl.dataflow.futures import AppFuture
from parsl.errors import ConfigurationError, NoDataFlowKernelError, ParslError
from parsl.executors import ThreadPoolExecutor
from parsl.executors.errors import BadStateException

Loader = Callable[..., DataFlowKernel]


@python_app
def sleepy(seconds: float, value: int) -> int:
    time.sleep(seconds)
    return value


@python_app
def plus_one(x: int) -> int:
    return x + 1


@python_app
def never_returns(event: threading.Event) -> str:
    # Stands for a task stuck in C code; the test's teardown finally lets the thread go.
    event.wait()
    return "released"


@join_app
def spawn(n: int) -> list[AppFuture]:
    return [sleepy(0.05 * (i % 3), i) for i in range(n)]


def _config(run_dir: str, exit_mode: str = "cleanup", shutdown_timeout: float = 30) -> Config:
    return Config(
        executors=[
            ThreadPoolExecutor(max_threads=4, label="threads", shutdown_timeout=shutdown_timeout)
        ],
        run_dir=run_dir,
        exit_mode=exit_mode,
    )


@pytest.mark.timeout(30)
def test_exit_mode_cleanup_finishes_running_tasks_and_fails_the_rest(run_dir: str) -> None:
    with parsl.load(_config(run_dir)) as dfk:
        running = sleepy(0.5, 1)
        waiting = plus_one(running)
    assert dfk.cleanup_called
    assert running.done() and running.result() == 1
    assert isinstance(waiting.exception(timeout=0), CleanedUp)
    assert waiting.task_status() == "failed"
    with pytest.raises(NoDataFlowKernelError):
        parsl.dfk()
    with pytest.raises(NoDataFlowKernelError):
        plus_one(1)
    with pytest.raises(ParslError, match="cleaned up"):
        dfk.submit(plus_one, (1,), {})


@pytest.mark.timeout(30)
def test_exit_mode_wait_runs_everything_first(run_dir: str) -> None:
    with parsl.load(_config(run_dir, "wait")) as dfk:
        running = sleepy(0.3, 1)
        chain = plus_one(plus_one(running))
        fanned = spawn(20)
    assert chain.done() and chain.result() == 3
    assert fanned.done() and fanned.result() == list(range(20))
    assert dfk.cleanup_called
    with pytest.raises(NoDataFlowKernelError):
        parsl.dfk()


@pytest.mark.timeout(30)
def test_exit_mode_wait_does_not_wait_after_an_exception(
    run_dir: str, release: threading.Event
) -> None:
    start = time.monotonic()
    with pytest.raises(RuntimeError, match="user error"):
        with parsl.load(_config(run_dir, "wait")) as dfk:
            stuck = never_returns(release)
            raise RuntimeError("user error")
    assert time.monotonic() - start < 5
    assert dfk.cleanup_called
    assert isinstance(stuck.exception(timeout=5), BadStateException | CleanedUp)


@pytest.mark.timeout(30)
def test_exit_mode_cleanup_does_not_wait_after_an_exception(
    run_dir: str, release: threading.Event
) -> None:
    """Default shutdown_timeout is 30 s, but an exception leaving the block skips the grace."""
    start = time.monotonic()
    with pytest.raises(KeyError):
        with parsl.load(_config(run_dir)) as dfk:
            stuck = never_returns(release)
            pending = plus_one(stuck)
            raise KeyError("user error")
    assert time.monotonic() - start < 5
    assert dfk.cleanup_called
    assert isinstance(stuck.exception(timeout=1), BadStateException | CleanedUp)
    assert pending.done()


@pytest.mark.timeout(30)
def test_exit_mode_skip_leaves_the_kernel_running(run_dir: str) -> None:
    with parsl.load(_config(run_dir, "skip")) as dfk:
        first = plus_one(1)
    assert parsl.dfk() is dfk
    assert not parsl.dfk().cleanup_called
    assert plus_one(first).result(timeout=10) == 3
    parsl.clear()
    assert dfk.cleanup_called
    with pytest.raises(NoDataFlowKernelError):
        parsl.dfk()


@pytest.mark.timeout(30)
def test_sequential_loads_get_their_own_run_dirs(run_dir: str) -> None:
    seen: list[DataFlowKernel] = []
    for i in range(3):
        with parsl.load(_config(run_dir)) as dfk:
            assert parsl.dfk() is dfk
            assert plus_one(i).result(timeout=10) == i + 1
            seen.append(dfk)
    assert [os.path.basename(d.run_dir) for d in seen] == ["000", "001", "002"]
    assert len({d.run_id for d in seen}) == 3
    assert all(d.cleanup_called for d in seen)


@pytest.mark.timeout(60)
def test_repeated_loads_leak_no_threads_files_or_log_handlers(run_dir: str) -> None:
    def live_threads() -> set[str]:
        return {t.name for t in threading.enumerate() if t.is_alive()}

    threads_before = live_threads()
    fds_before = len(os.listdir("/proc/self/fd"))
    handlers_before = list(logging.getLogger("parsl").handlers)
    for i in range(15):
        config = Config(
            executors=[ThreadPoolExecutor(max_threads=4, label="threads")],
            run_dir=run_dir,
            checkpoint_mode="task_exit",
        )
        with parsl.load(config):
            assert sleepy(0, i).result(timeout=10) == i
    assert wait_until(lambda: live_threads() <= threads_before, 5), live_threads() - threads_before
    assert len(os.listdir("/proc/self/fd")) <= fds_before
    assert logging.getLogger("parsl").handlers == handlers_before


@pytest.mark.timeout(30)
def test_run_dir_that_is_a_file_is_a_configuration_error(tmp_path: Path) -> None:
    not_a_dir = tmp_path / "plain-file"
    not_a_dir.write_text("")
    with pytest.raises(ConfigurationError, match="run_dir"):
        parsl.load(Config(run_dir=str(not_a_dir)))
    with pytest.raises(NoDataFlowKernelError):
        parsl.dfk()


@pytest.mark.timeout(30)
def test_loading_twice_is_refused_and_keeps_the_first(run_dir: str) -> None:
    with parsl.load(_config(run_dir)) as dfk:
        with pytest.raises(ConfigurationError, match=r"clear\(\)"):
            parsl.load(_config(run_dir))
        assert parsl.dfk() is dfk
        assert plus_one(1).result(timeout=10) == 2


@pytest.mark.timeout(30)
def test_clear_cleans_up_and_allows_a_new_load(run_dir: str) -> None:
    parsl.clear()  # nothing loaded: no effect
    first = parsl.load(_config(run_dir))
    assert plus_one(1).result(timeout=10) == 2
    parsl.clear()
    assert first.cleanup_called
    with pytest.raises(NoDataFlowKernelError):
        parsl.dfk()
    parsl.clear()
    second = parsl.load(_config(run_dir))
    assert second is not first
    assert plus_one(2).result(timeout=10) == 3
    parsl.clear()


@pytest.mark.timeout(30)
def test_wait_for_current_tasks(dfk: DataFlowKernel) -> None:
    futures = [sleepy(0.02 * (i % 5), i) for i in range(40)]
    chain = plus_one(plus_one(sleepy(0.3, 0)))
    fanned = spawn(10)
    failing = plus_one("not a number")
    parsl.wait_for_current_tasks()
    assert all(f.done() for f in [*futures, chain, fanned, failing])
    assert chain.result() == 2
    assert fanned.result() == list(range(10))
    assert isinstance(failing.exception(), TypeError)
    dfk.wait_for_current_tasks()  # nothing left: returns at once


@pytest.mark.timeout(30)
def test_wait_for_current_tasks_without_a_kernel() -> None:
    with pytest.raises(NoDataFlowKernelError):
        parsl.wait_for_current_tasks()


@pytest.mark.timeout(30)
def test_cleanup_is_bounded_with_a_task_that_never_returns(
    run_dir: str, release: threading.Event
) -> None:
    dfk = parsl.load(_config(run_dir, shutdown_timeout=1))
    stuck = never_returns(release)
    after_stuck = plus_one(stuck)
    assert plus_one(1).result(timeout=10) == 2
    start = time.monotonic()
    dfk.cleanup()
    elapsed = time.monotonic() - start
    assert 0.9 <= elapsed < 5, elapsed
    assert isinstance(stuck.exception(timeout=1), BadStateException | CleanedUp)
    # The dependent never launched: it fails because its dependency did, with that as the cause.
    dependent = after_stuck.exception(timeout=1)
    assert isinstance(dependent, DependencyError)
    assert dependent.root_cause is stuck.exception()
    assert after_stuck.task_status() == "dep_fail"

    start = time.monotonic()
    dfk.cleanup()
    parsl.clear()
    assert time.monotonic() - start < 0.5, "a second cleanup must return at once"


@bash_app
def sleep_in_bash(pidfile: str) -> str:
    return f"echo $$ > {pidfile}.tmp && mv {pidfile}.tmp {pidfile}; sleep 300"


@pytest.mark.timeout(30)
def test_cleanup_stops_a_running_bash_app(
    run_dir: str, tmp_path: Path, kill_group_at_end: list[int]
) -> None:
    dfk = parsl.load(_config(run_dir, shutdown_timeout=1))
    pidfile = tmp_path / "bash.pid"
    fut = sleep_in_bash(str(pidfile))
    assert wait_until(pidfile.exists, 10)
    pgid = int(pidfile.read_text())
    kill_group_at_end.append(pgid)
    start = time.monotonic()
    dfk.cleanup()
    assert time.monotonic() - start < 6
    assert isinstance(fut.exception(timeout=1), BadStateException | CleanedUp)
    assert wait_until(lambda: not group_alive(pgid), 3), "the bash app outlived cleanup"


@pytest.mark.timeout(30)
def test_cleanup_from_several_threads_at_once(run_dir: str, release: threading.Event) -> None:
    dfk = parsl.load(_config(run_dir, shutdown_timeout=1))
    stuck = never_returns(release)
    errors: list[BaseException] = []
    settled_on_return: list[bool] = []

    def clean() -> None:
        try:
            dfk.cleanup()
        except BaseException as e:
            errors.append(e)
        # Whichever call returns, cleanup is over: no future is left unsettled.
        settled_on_return.append(stuck.done())

    threads = [threading.Thread(target=clean) for _ in range(4)]
    start = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert not any(t.is_alive() for t in threads)
    assert errors == []
    assert time.monotonic() - start < 5
    assert settled_on_return == [True] * 4
    assert isinstance(stuck.exception(timeout=1), BadStateException | CleanedUp)


ATEXIT_SCRIPT = """
import sys, time
import parsl
from parsl import python_app
from parsl.config import Config
from parsl.executors import ThreadPoolExecutor

run_dir, report = sys.argv[1], sys.argv[2]


@python_app
def forever():
    while True:
        time.sleep(0.05)


def record(fut):
    with open(report, "w") as f:
        f.write(type(fut.exception()).__name__)


parsl.load(Config(
    executors=[ThreadPoolExecutor(max_threads=2, label="threads", shutdown_timeout=1)],
    run_dir=run_dir,
))
forever().add_done_callback(record)
print("SUBMITTED", flush=True)
"""


@pytest.mark.timeout(60)
def test_atexit_cleanup_is_bounded(scripts: Scripts, tmp_path: Path) -> None:
    script = scripts.write(ATEXIT_SCRIPT)
    report = tmp_path / "report.txt"
    start = time.monotonic()
    done = scripts.run(script, str(tmp_path / "runinfo"), str(report), timeout=15)
    assert time.monotonic() - start < 10
    assert "SUBMITTED" in done.stdout
    assert report.read_text() in {"BadStateException", "CleanedUp"}

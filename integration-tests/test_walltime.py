"""walltime: slow Python and bash apps fail with AppTimeout on time; fast ones are untouched."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest
from child_processes import Scripts, group_alive, pid_alive, wait_until

from parsl import bash_app, python_app
from parsl.app.errors import AppTimeout
from parsl.dataflow.dflow import DataFlowKernel
from parsl.errors import ConfigurationError


@python_app
def spin(steps: list[int], seconds: float) -> str:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        steps.append(1)
        time.sleep(0.01)
    return "finished"


@python_app
def quick(x: int) -> int:
    return x * 10


@python_app
def blocked(event: threading.Event) -> str:
    event.wait(60)
    return "released"


@bash_app
def sleeper(pidfile: str, seconds: int) -> str:
    # The background sleep is a grandchild: the walltime must stop the whole process group.
    return f"sleep {seconds} & echo $$ $! > {pidfile}; wait"


@bash_app
def quick_bash(path: str) -> str:
    return f"echo done > {path}"


@pytest.mark.timeout(30)
def test_python_app_past_walltime_times_out_and_stops(dfk: DataFlowKernel) -> None:
    steps: list[int] = []
    start = time.monotonic()
    fut = spin(steps, 30, walltime=0.5)
    exc = fut.exception(timeout=10)
    elapsed = time.monotonic() - start
    assert isinstance(exc, AppTimeout)
    assert "walltime" in str(exc) and "spin" in str(exc)
    assert 0.4 <= elapsed < 3.0, elapsed
    assert fut.task_status() == "failed"
    # On a thread pool the timed-out body is abandoned (Python cannot stop a thread):
    # it keeps running on its daemon helper thread, and its result never reaches the future.
    assert len(steps) > 0
    assert isinstance(fut.exception(timeout=0), AppTimeout)


@pytest.mark.timeout(30)
def test_python_app_within_walltime_returns_its_value(dfk: DataFlowKernel) -> None:
    assert quick(4, walltime=5).result(timeout=10) == 40
    steps: list[int] = []
    assert spin(steps, 0.2, walltime=5).result(timeout=10) == "finished"


@pytest.mark.timeout(30)
def test_walltime_frees_the_caller_of_an_app_blocked_in_c(
    dfk: DataFlowKernel, release: threading.Event
) -> None:
    start = time.monotonic()
    exc = blocked(release, walltime=0.5).exception(timeout=10)
    assert isinstance(exc, AppTimeout)
    assert time.monotonic() - start < 3.0
    assert quick(1).result(timeout=10) == 10


@pytest.mark.timeout(30)
def test_bash_app_past_walltime_times_out_and_its_processes_die(
    dfk: DataFlowKernel, tmp_path: Path, kill_group_at_end: list[int]
) -> None:
    pidfile = tmp_path / "sleep.pid"
    start = time.monotonic()
    fut = sleeper(str(pidfile), 120, walltime=1)
    assert wait_until(lambda: pidfile.exists() and pidfile.read_text().strip() != "", 10)
    pgid, sleep_pid = (int(p) for p in pidfile.read_text().split())
    kill_group_at_end.append(pgid)
    exc = fut.exception(timeout=15)
    elapsed = time.monotonic() - start
    assert isinstance(exc, AppTimeout)
    assert "walltime" in str(exc)
    assert 0.9 <= elapsed < 5.0, elapsed
    assert wait_until(lambda: not pid_alive(sleep_pid), 5), "the bash app's sleep survived"
    assert wait_until(lambda: not group_alive(pgid), 5), "the bash app's process group survived"


@pytest.mark.timeout(30)
def test_bash_app_within_walltime_succeeds(dfk: DataFlowKernel, tmp_path: Path) -> None:
    out = tmp_path / "out.txt"
    assert quick_bash(str(out), walltime=10).result(timeout=10) == 0
    assert out.read_text() == "done\n"


@pytest.mark.timeout(30)
@pytest.mark.parametrize("bad", [0, -1, "10", True])
def test_bad_walltime_is_refused_at_call_time(dfk: DataFlowKernel, bad: object) -> None:
    with pytest.raises(ConfigurationError, match="walltime"):
        quick(1, walltime=bad)


MAIN_THREAD_SCRIPT = """
import time
from parsl.app.errors import AppTimeout
from parsl.app.python import run_with_walltime

assert run_with_walltime(lambda x: x * 2, 5.0, 21) == 42
start = time.monotonic()
try:
    run_with_walltime(time.sleep, 0.5, 30)
except AppTimeout as e:
    print("TIMEOUT", round(time.monotonic() - start, 2), e, flush=True)
# The alarm is gone afterwards: a later slow call is not interrupted.
time.sleep(0.8)
print("SURVIVED", flush=True)
"""


@pytest.mark.timeout(60)
def test_walltime_in_a_main_thread_interrupts_blocking_sleep(scripts: Scripts) -> None:
    """A worker process runs apps on its main thread, where a SIGALRM timer enforces walltime."""
    done = scripts.run(scripts.write(MAIN_THREAD_SCRIPT), timeout=30)
    lines = done.stdout.splitlines()
    timeout_line = next(x for x in lines if x.startswith("TIMEOUT "))
    assert 0.4 <= float(timeout_line.split()[1]) < 2.0
    assert "walltime" in timeout_line
    assert "SURVIVED" in lines

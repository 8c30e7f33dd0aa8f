"""HighThroughputExecutor end to end with real processes: apps, errors, priorities, shutdown."""

from __future__ import annotations

import concurrent.futures
import math
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import htex_tasks
import psutil
import pytest
from conftest import descendants, wait_gone

import parsl
from parsl import bash_app, python_app
from parsl.config import Config
from parsl.errors import ConfigurationError
from parsl.executors import HighThroughputExecutor
from parsl.executors.errors import BadStateException, InvalidResourceSpecification
from parsl.providers import LocalProvider

MakeHtex = Callable[..., HighThroughputExecutor]


@python_app
def add_app(a: int, b: int) -> int:
    return a + b


@python_app
def failing_app() -> None:
    raise KeyError("not here")


@bash_app
def echo_app(word: str, stdout: str | None = None) -> str:
    return f"echo {word}"


@bash_app
def exit_app(code: int) -> str:
    return f"exit {code}"


def test_entry_point_and_public_path_resolve_to_the_class() -> None:
    from parsl.executors.high_throughput.executor import HighThroughputExecutor as Direct

    assert HighThroughputExecutor is Direct


def test_python_and_bash_apps_run_through_parsl_load(run_dir: str, tmp_path: Path) -> None:
    htex = HighThroughputExecutor(
        label="htex",
        max_workers_per_node=2,
        provider=LocalProvider(init_blocks=1, max_blocks=1),
    )
    before = {p.pid for p in descendants()}
    out = tmp_path / "echo.out"
    with parsl.load(Config(executors=[htex], run_dir=run_dir)):
        assert add_app(2, 3).result(timeout=30) == 5
        assert [f.result(timeout=30) for f in [add_app(i, i) for i in range(20)]] == [
            2 * i for i in range(20)
        ]
        with pytest.raises(KeyError, match="not here"):
            failing_app().result(timeout=30)
        assert echo_app("hello", stdout=str(out)).result(timeout=30) == 0
        assert out.read_text() == "hello\n"
        from parsl.app.errors import BashExitFailure

        with pytest.raises(BashExitFailure) as info:
            exit_app(3).result(timeout=30)
        assert info.value.exitcode == 3
        children = [p.pid for p in descendants() if p.pid not in before]
        assert children, "the interchange and the block should be running"
    assert not wait_gone(children, timeout=10)


def test_submit_runs_on_worker_processes(make_htex: MakeHtex) -> None:
    htex = make_htex()
    info = htex.submit(htex_tasks.where, {}).result(timeout=30)
    assert info["pid"] != os.getpid()
    assert info["env"]["PARSL_WORKER_BLOCK_ID"] == "0"
    assert htex.submit(htex_tasks.add, {}, 40, b=2).result(timeout=30) == 42
    # Parsl's keyword form, when no specification comes by position
    spec_by_keyword = htex.submit(htex_tasks.add, resource_specification={}, a=1, b=2)
    assert spec_by_keyword.result(timeout=30) == 3
    with pytest.raises(TypeError, match="needs a resource_specification"):
        htex.submit(htex_tasks.add, a=1, b=2)


def test_submitted_futures_work_with_wait_as_completed_timeouts_and_callbacks(
    make_htex: MakeHtex,
) -> None:
    htex = make_htex()
    slow = htex.submit(htex_tasks.sleep_then, {}, 1.0, "slow")
    with pytest.raises(concurrent.futures.TimeoutError):
        slow.result(timeout=0.05)
    seen: list[Any] = []
    slow.add_done_callback(lambda f: seen.append(f.result()))
    quick = [htex.submit(htex_tasks.add, {}, i, b=1) for i in range(20)]
    done, not_done = concurrent.futures.wait([*quick, slow], timeout=30)
    assert not not_done and len(done) == 21
    assert sorted(f.result() for f in concurrent.futures.as_completed(quick, timeout=30)) == list(
        range(1, 21)
    )
    assert seen == ["slow"]


def test_task_exception_is_the_original_with_remote_traceback(make_htex: MakeHtex) -> None:
    htex = make_htex()
    with pytest.raises(ValueError, match="bad input") as info:
        htex.submit(htex_tasks.fail, {}, "bad input").result(timeout=30)
    notes = "".join(getattr(info.value, "__notes__", []))
    assert "Remote traceback" in notes and "htex_tasks.py" in notes


def test_unserializable_result_fails_clearly(make_htex: MakeHtex) -> None:
    htex = make_htex()
    with pytest.raises(Exception, match="could not be serialized"):
        htex.submit(htex_tasks.unpicklable_result, {}).result(timeout=30)


def test_large_payloads_round_trip(make_htex: MakeHtex) -> None:
    htex = make_htex()
    blob = os.urandom(3 * 2**20)
    assert htex.submit(htex_tasks.identity, {}, blob).result(timeout=30) == blob


def test_lambdas_and_closures_run(make_htex: MakeHtex) -> None:
    htex = make_htex()
    offset = 7
    assert htex.submit(lambda x: x + offset, {}, 1).result(timeout=30) == 8


def test_lower_priority_number_runs_first(make_htex: MakeHtex, tmp_path: Path) -> None:
    htex = make_htex(max_workers_per_node=1, provider=LocalProvider(init_blocks=0, max_blocks=1))
    log = str(tmp_path / "order.txt")
    futures = [
        htex.submit(htex_tasks.append_line, {"priority": p}, log, str(p)) for p in [5, 1, 9, 3, 7]
    ]
    futures.append(htex.submit(htex_tasks.append_line, {}, log, "none"))
    htex.scale_out(1)
    for f in futures:
        f.result(timeout=30)
    assert Path(log).read_text().split() == ["1", "3", "5", "7", "9", "none"]


@pytest.mark.parametrize(
    "spec",
    [{"cores": 2}, {"priority": "high"}, {"priority": True}, {"priority": float("nan")}],
)
def test_invalid_resource_specification_is_refused(make_htex: MakeHtex, spec: dict) -> None:
    htex = make_htex(start=False)
    with pytest.raises(InvalidResourceSpecification):
        htex.validate_resource_specification(spec)


def test_submit_before_start_and_after_shutdown_fails_fast(make_htex: MakeHtex) -> None:
    htex = make_htex(start=False)
    with pytest.raises(BadStateException, match="not been started"):
        htex.submit(htex_tasks.add, {}, 1, 2)
    htex.start()
    assert htex.submit(htex_tasks.add, {}, 1, 2).result(timeout=30) == 3
    htex.shutdown()
    t0 = time.monotonic()
    with pytest.raises(BadStateException, match="shut down"):
        htex.submit(htex_tasks.add, {}, 1, 2)
    assert time.monotonic() - t0 < 1


def test_shutdown_fails_running_tasks_and_leaves_no_process(make_htex: MakeHtex) -> None:
    before = {p.pid for p in descendants()}
    htex = make_htex()
    fut = htex.submit(htex_tasks.sleep_then, {}, 60)
    htex.submit(htex_tasks.add, {}, 1, 1).result(timeout=30)
    pids = [p.pid for p in descendants() if p.pid not in before]
    assert len(pids) >= 4  # interchange, block script(s), manager, workers
    t0 = time.monotonic()
    htex.shutdown()
    assert time.monotonic() - t0 < 10
    with pytest.raises(BadStateException, match="shut down"):
        fut.result(timeout=1)
    assert not wait_gone(pids, timeout=10)
    htex.shutdown()  # idempotent


@pytest.mark.timeout(60)
def test_shutdown_refuses_a_bad_timeout_before_stopping_anything(make_htex: MakeHtex) -> None:
    before = {p.pid for p in descendants()}
    htex = make_htex(max_workers_per_node=1)
    pids = [p.pid for p in descendants() if p.pid not in before]
    running = htex.submit(htex_tasks.sleep_then, {}, 1.0, "kept")
    for bad in (0, -1, math.nan, math.inf, "5", True, [5]):
        with pytest.raises(ConfigurationError, match=r"^timeout=.* is not valid") as err:
            htex.shutdown(timeout=bad)  # type: ignore[arg-type]
        assert err.value.field == "timeout"
    assert running.result(timeout=30) == "kept"  # nothing lost
    assert not htex.bad_state_is_set
    assert htex.submit(htex_tasks.add, {}, 2, 3).result(timeout=30) == 5
    htex.shutdown(5)  # Parsl's positional form
    assert not wait_gone(pids, timeout=10)
    with pytest.raises(BadStateException, match="shut down"):
        htex.submit(htex_tasks.add, {}, 1, 2)
    with pytest.raises(ConfigurationError, match="^timeout="):
        htex.shutdown(timeout=-1)  # checked even once shut down
    htex.shutdown(timeout=1.0)  # idempotent


# An interchange that starts, then ignores the executor's shutdown request.
DEAF_INTERCHANGE = (
    "import sys, time\n"
    "sys.stdin.readline()\n"
    "print('{\"worker_port\": 9}', flush=True)\n"
    "time.sleep(60)\n"
)


@pytest.mark.timeout(60)
def test_shutdown_timeout_bounds_the_wait_instead_of_shutdown_timeout(
    make_htex: MakeHtex,
) -> None:
    htex = make_htex(
        interchange_launch_cmd=[sys.executable, "-c", DEAF_INTERCHANGE],
        provider=LocalProvider(init_blocks=0),
        shutdown_timeout=30,
    )
    pid = htex.interchange_pid
    assert pid is not None
    t0 = time.monotonic()
    htex.shutdown(timeout=0.5)
    elapsed = time.monotonic() - t0
    assert 0.5 <= elapsed < 10, elapsed  # not shutdown_timeout's 30 s
    assert not wait_gone([pid], timeout=5)


def test_outstanding_counts_unfinished_tasks(make_htex: MakeHtex) -> None:
    htex = make_htex(max_workers_per_node=1)
    futures = [htex.submit(htex_tasks.sleep_then, {}, 0.5) for _ in range(3)]
    assert htex.outstanding == 3
    for f in futures:
        f.result(timeout=30)
    assert htex.outstanding == 0


def test_logs_are_written_under_the_run_dir(make_htex: MakeHtex, run_dir: str) -> None:
    htex = make_htex(label="logged", worker_debug=True)
    htex.submit(htex_tasks.add, {}, 1, 1).result(timeout=30)
    base = Path(run_dir) / "logged"
    assert "registered" in (base / "interchange.log").read_text()
    # Parsl's layout: <run_dir>/<label>/block-N/<manager>/manager.log and worker_<n>.log
    manager_logs = list(base.glob("block-0/*/manager.log"))
    assert manager_logs and "registered with the interchange" in manager_logs[0].read_text()
    assert list(manager_logs[0].parent.glob("worker_*.log"))  # the worker that ran the task


def test_worker_pool_console_script_is_installed() -> None:
    import shutil
    import subprocess

    exe = shutil.which("parsl-worker-pool", path=os.path.dirname(sys.executable))
    assert exe is not None
    out = subprocess.run([exe, "--help"], capture_output=True, text=True, timeout=30, check=False)
    assert out.returncode == 0 and "--max-workers-per-node" in out.stdout


def cmdline(p: psutil.Process) -> str:
    """A process's command line, or "" once it has exited (a block's launch shell may be gone)."""
    try:
        return " ".join(p.cmdline())
    except psutil.NoSuchProcess:
        return ""


def test_interchange_process_is_not_in_the_users_process_group(make_htex: MakeHtex) -> None:
    before = {p.pid for p in descendants()}
    make_htex()
    new = [p for p in descendants() if p.pid not in before]
    interchange = [p for p in new if "parsl.executors.high_throughput.interchange" in cmdline(p)]
    assert len(interchange) == 1
    assert os.getpgid(interchange[0].pid) != os.getpgid(0)  # Ctrl-C does not reach it
    assert psutil.Process(interchange[0].pid).ppid() == os.getpid()


def test_submit_waits_for_room_beyond_max_outstanding_tasks(make_htex: MakeHtex) -> None:
    htex = make_htex(max_workers_per_node=1, max_outstanding_tasks=2)
    first = htex.submit(htex_tasks.sleep_then, {}, 1.0, "first")
    htex.submit(htex_tasks.sleep_then, {}, 0.1)
    t0 = time.monotonic()
    third = htex.submit(htex_tasks.add, {}, 1, 2)
    assert time.monotonic() - t0 > 0.5  # waited for the first task to finish
    assert first.done() and first.result() == "first"
    assert third.result(timeout=30) == 3
    assert htex.outstanding == 0


def test_a_submit_waiting_for_room_fails_when_the_executor_breaks(make_htex: MakeHtex) -> None:
    import threading

    from parsl.executors.high_throughput.errors import InterchangeLost

    htex = make_htex(max_workers_per_node=1, max_outstanding_tasks=1)
    htex.submit(htex_tasks.sleep_then, {}, 60)
    outcome: list[BaseException] = []

    def blocked_submit() -> None:
        try:
            htex.submit(htex_tasks.add, {}, 1, 2)
        except BaseException as e:
            outcome.append(e)

    t = threading.Thread(target=blocked_submit)
    t.start()
    time.sleep(0.5)
    assert t.is_alive() and not outcome
    assert htex.interchange_pid is not None
    os.kill(htex.interchange_pid, 9)
    t.join(timeout=5)
    assert not t.is_alive()
    assert len(outcome) == 1 and isinstance(outcome[0], InterchangeLost)


def test_querying_the_interchange_from_a_done_callback_fails_fast(make_htex: MakeHtex) -> None:
    from concurrent.futures import Future

    from parsl.executors.high_throughput.errors import HighThroughputError

    htex = make_htex()
    seen: Future[BaseException | None] = Future()

    def callback(_: object) -> None:
        try:
            htex.connected_managers()
        except HighThroughputError as e:
            seen.set_result(e)
        else:
            seen.set_result(None)

    t0 = time.monotonic()
    htex.submit(htex_tasks.add, {}, 1, 1).add_done_callback(callback)
    error = seen.result(timeout=30)
    assert isinstance(error, HighThroughputError) and "done-callback" in str(error)
    assert time.monotonic() - t0 < 5

"""TaskVineExecutor with real vine_worker processes on 127.0.0.1."""

from __future__ import annotations

import contextlib
import os
import signal
import time
from pathlib import Path

import psutil
import pytest
from vine_helpers import manual_executor

import parsl
from parsl import File, python_app
from parsl.config import Config
from parsl.executors.cctools.errors import CctoolsTaskFailure, ManagerLost, ResourceExhausted
from parsl.executors.cctools.processes import free_port
from parsl.executors.cctools.testing import Workers, alive, descendants
from parsl.executors.taskvine import TaskVineExecutor, TaskVineFactoryConfig, TaskVineManagerConfig
from parsl.executors.taskvine.errors import TaskVineManagerFailure, TaskVineTaskFailure
from parsl.monitoring.memory import MemorySink
from parsl.monitoring.types import MessageType
from parsl.providers import LocalProvider

pytestmark = pytest.mark.timeout(90)


def workers_of(port: int | None) -> list[int]:
    """Pids of the worker processes connecting to the manager on ``port``."""
    found = []
    for proc in psutil.process_iter(["cmdline"]):
        cmd = proc.info["cmdline"] or []
        if cmd and cmd[0].endswith("_worker") and str(port) in cmd:
            found.append(proc.pid)
    return found


def cmdline(pid: int) -> str:
    """A process's command line, or "" once it has exited (the factory's short-lived helpers)."""
    try:
        return " ".join(psutil.Process(pid).cmdline())
    except psutil.NoSuchProcess:
        return ""


def double(x: int) -> int:
    return 2 * x


def exit_with(code: int) -> None:
    import sys

    sys.exit(code)


def where(inp: File, outputs: list[File]) -> tuple[str, int]:
    with open(inp) as f:
        text = f.read()
    with open(outputs[0], "w") as f:
        f.write(text.upper())
    return os.getcwd(), os.getpid()


def sleep_then_pid(seconds: float, marker: str) -> int:
    with open(marker, "a") as f:
        f.write(f"{os.getpid()}\n")
    time.sleep(seconds)
    return os.getpid()


def fill_disk(mb: int) -> None:
    with open("big", "wb") as f:
        f.write(b"x" * mb * 1024 * 1024)
    time.sleep(30)


@pytest.mark.parametrize(
    ("mode", "shared_fs"), [("regular", False), ("serverless", False), ("serverless", True)]
)
def test_tasks_run_in_both_modes(
    tmp_path: Path, workers: Workers, mode: str, shared_fs: bool
) -> None:
    config = TaskVineManagerConfig(
        port=free_port(),
        address="127.0.0.1",
        wait_for_workers=1,
        library_config={"num_slots": 2},
        shared_fs=shared_fs,
    )
    ex = manual_executor(tmp_path, function_exec_mode=mode, manager_config=config)
    ex.start()
    try:
        workers.start(ex.manager_port or 0, 1)
        futures = [ex.submit(double, {}, i) for i in range(6)]
        assert [f.result(timeout=60) for f in futures] == [0, 2, 4, 6, 8, 10]
        with pytest.raises(ZeroDivisionError):
            ex.submit(lambda: 1 / 0, {}).result(timeout=60)
        # sys.exit() in a task fails the task, never the calling script (SystemExit, raised
        # by result(), would end it); the library (serverless) runs the next task.
        with pytest.raises(CctoolsTaskFailure, match=r"the task called sys\.exit\(3\)") as e:
            ex.submit(exit_with, {}, 3).result(timeout=60)
        assert isinstance(e.value.status, SystemExit) and e.value.status.code == 3
        assert ex.submit(double, {}, 21).result(timeout=60) == 42
    finally:
        ex.shutdown()


def test_files_move_between_separate_sandboxes(
    tmp_path: Path, workers: Workers, executor: TaskVineExecutor
) -> None:
    workers.start(executor.manager_port or 0, 2)
    results = []
    for i in range(4):
        src = tmp_path / f"in{i}.txt"
        src.write_text(f"hello {i}")
        out = File(str(tmp_path / f"out{i}.txt"))
        results.append((executor.submit(where, {}, File(str(src)), outputs=[out]), out, i))
    for future, out, i in results:
        cwd, _ = future.result(timeout=60)
        assert any(cwd.startswith(str(w)) for w in workers.workdirs), cwd
        assert not cwd.startswith(str(tmp_path / "runinfo"))
        assert Path(out.filepath).read_text() == f"HELLO {i}"


def test_killed_worker_gives_a_retry_elsewhere(
    tmp_path: Path, workers: Workers, executor: TaskVineExecutor
) -> None:
    first, second = workers.start(executor.manager_port or 0, 2)
    marker = tmp_path / "pids"
    future = executor.submit(sleep_then_pid, {"cores": 1}, 3, str(marker))
    deadline = time.monotonic() + 30
    # The task appends its pid and a newline; the file exists a moment before the line is in it.
    while (
        not (marker.exists() and marker.read_text().endswith("\n")) and time.monotonic() < deadline
    ):
        time.sleep(0.1)
    task_pid = int(marker.read_text().split()[0])
    victim = next(w for w in (first, second) if task_pid in descendants(w.pid))
    # The worker and everything it started (its transfer server, the task) die, as when a node fails;
    # its process group is the one its LocalProcess made for it.
    os.killpg(victim.pid, signal.SIGKILL)
    with contextlib.suppress(ProcessLookupError):  # the task runs in a group of its own
        os.kill(task_pid, signal.SIGKILL)
    assert future.result(timeout=60) != task_pid
    assert len(marker.read_text().split()) == 2  # it ran a second time


def test_disk_over_limit_fails_with_resource_exhaustion(
    workers: Workers, executor: TaskVineExecutor
) -> None:
    workers.start(executor.manager_port or 0, 1)
    future = executor.submit(fill_disk, {"cores": 1, "memory": 200, "disk": 5}, 20)
    with pytest.raises(ResourceExhausted, match="exhaustion") as e:
        future.result(timeout=60)
    assert e.value.worker
    assert isinstance(e.value, TaskVineTaskFailure)  # Parsl's name for it


def test_manager_death_fails_every_future(workers: Workers, executor: TaskVineExecutor) -> None:
    workers.start(executor.manager_port or 0, 1)
    futures = [executor.submit(time.sleep, {}, 30) for _ in range(3)]
    assert executor.manager_pid is not None
    os.kill(executor.manager_pid, signal.SIGKILL)
    for f in futures:
        with pytest.raises(ManagerLost, match="exited"):
            f.result(timeout=10)
    assert executor.bad_state_is_set
    with pytest.raises(TaskVineManagerFailure):  # Parsl's name for it
        executor.submit(double, {}, 1)


def test_factory_starts_workers_and_shutdown_stops_them(tmp_path: Path) -> None:
    ex = TaskVineExecutor(
        manager_config=TaskVineManagerConfig(port=free_port(), address="127.0.0.1"),
        factory_config=TaskVineFactoryConfig(
            min_workers=2, max_workers=2, workers_per_cycle=2, cores=1
        ),
    )
    ex.run_dir = str(tmp_path)
    ex.start()
    try:
        assert ex.factory is not None
        futures = [ex.submit(double, {}, i) for i in range(4)]
        assert sum(f.result(timeout=60) for f in futures) == 12
        pids = [ex.factory.pid, *descendants(ex.factory.pid)]
        assert len([p for p in pids if "vine_worker" in cmdline(p)]) >= 2
    finally:
        ex.shutdown()
    assert not [p for p in pids if alive(p)]
    assert ex.manager_pid is not None and not alive(ex.manager_pid)


def test_workflow_with_local_provider_and_monitoring(tmp_path: Path) -> None:
    sink = MemorySink(resource_monitoring_interval=0.2)
    ex = TaskVineExecutor(
        worker_launch_method="provider",
        manager_config=TaskVineManagerConfig(port=free_port(), address="127.0.0.1"),
        provider=LocalProvider(init_blocks=1, min_blocks=0, max_blocks=1),
    )
    config = Config(executors=[ex], run_dir=str(tmp_path), monitoring=sink, strategy="none")
    app = python_app(double, executors=["TaskVineExecutor"])
    dfk = parsl.load(config)
    try:
        assert sum(app(i).result(timeout=60) for i in range(3)) == 6
        assert ex.blocks_to_job_id
        pids = workers_of(ex.manager_port)
        assert pids  # the block's vine_worker
    finally:
        dfk.cleanup()
        parsl.clear()
    states = {m[1]["task_status_name"] for m in sink.messages if m[0] is MessageType.TASK_INFO}
    assert {"running", "running_ended"} <= states
    assert any(m[0] is MessageType.RESOURCE_INFO for m in sink.messages)
    assert not [p for p in pids if alive(p)]


def eat_memory(mb: int) -> int:
    block = bytearray(mb * 1024 * 1024)
    for i in range(0, len(block), 4096):
        block[i] = 1
    time.sleep(10)
    return len(block)


def test_memory_over_limit_fails_with_resource_exhaustion(tmp_path: Path, workers: Workers) -> None:
    # Memory is enforced by the manager's resource monitor, which autolabel turns on.
    config = TaskVineManagerConfig(port=free_port(), address="127.0.0.1", autolabel=True)
    ex = manual_executor(tmp_path, manager_config=config)
    ex.start()
    try:
        workers.start(ex.manager_port or 0, 1)
        # The resource monitor of the cctools build used here sometimes aborts on its own
        # ("cctools bug: the itable iteration has not been reset"); such a run is tried again.
        for _ in range(3):
            future = ex.submit(eat_memory, {"cores": 1, "memory": 50, "disk": 100}, 400)
            try:
                future.result(timeout=60)
            except ResourceExhausted as e:
                assert "memory" in e.reason and e.worker
                break
            except CctoolsTaskFailure as e:
                assert "cctools bug" in e.reason
        else:
            pytest.fail("the resource monitor failed three times")
    finally:
        ex.shutdown()


def test_submit_needs_a_started_executor(tmp_path: Path) -> None:
    ex = manual_executor(tmp_path)
    with pytest.raises(ManagerLost, match="start"):
        ex.submit(double, {}, 1)


def test_a_manager_that_cannot_listen_fails_start(tmp_path: Path) -> None:
    import socket

    with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as taken:
        taken.bind(("::", 0))
        taken.listen()
        port = taken.getsockname()[1]
        ex = manual_executor(
            tmp_path, manager_config=TaskVineManagerConfig(port=port, address="127.0.0.1")
        )
        with pytest.raises(ManagerLost, match="could not start"):
            ex.start()
    assert ex.manager_pid is not None and not alive(ex.manager_pid)
    with pytest.raises(RuntimeError, match="already started"):
        ex.start()


def test_shutdown_fails_what_is_in_flight(workers: Workers, executor: TaskVineExecutor) -> None:
    future = executor.submit(time.sleep, {}, 30)  # no worker: it waits
    executor.shutdown()
    with pytest.raises(ManagerLost, match="shut down"):
        future.result(timeout=5)
    assert executor.manager_pid is not None and not alive(executor.manager_pid)
    executor.shutdown()  # a second shutdown is a no-op

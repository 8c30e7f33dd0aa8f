"""HighThroughputExecutor never hangs: lost workers, managers, interchange, blocks; bad versions."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import htex_tasks
import psutil
import pytest
from conftest import FAST_HEARTBEATS, FakeManager, kill_by_pid, wait_gone

import parsl
from parsl import python_app
from parsl.config import Config
from parsl.executors import HighThroughputExecutor
from parsl.executors.errors import BadStateException
from parsl.executors.high_throughput.errors import (
    BlocksFailed,
    InterchangeLost,
    InterchangeStartFailed,
    ManagerLost,
    TaskExited,
    VersionMismatch,
    WorkerLost,
)
from parsl.executors.high_throughput.protocol import (
    MAGIC,
    Register,
    Rejected,
    decode,
    local_versions,
)
from parsl.providers import LocalProvider

MakeHtex = Callable[..., HighThroughputExecutor]


def wait_for_file(path: Path, timeout: float = 30) -> str:
    deadline = time.monotonic() + timeout
    while not path.exists():
        assert time.monotonic() < deadline, f"{path} never appeared"
        time.sleep(0.02)
    return path.read_text()


def test_killed_worker_fails_its_task_with_worker_lost_and_is_replaced(
    make_htex: MakeHtex, tmp_path: Path
) -> None:
    htex = make_htex(**FAST_HEARTBEATS)
    marker = tmp_path / "pid"
    fut = htex.submit(htex_tasks.write_pid_and_sleep, {}, str(marker), 60)
    worker_pid, manager_pid = map(int, wait_for_file(marker).split())
    os.kill(worker_pid, signal.SIGKILL)
    with pytest.raises(WorkerLost, match=f"pid {worker_pid}.*SIGKILL") as lost:
        fut.result(timeout=10)
    assert lost.value.hostname == os.uname().nodename  # Parsl's attribute: the manager's host
    assert f"on {os.uname().nodename} was lost" in str(lost.value)
    pids = {htex.submit(htex_tasks.where, {}).result(timeout=30)["pid"] for _ in range(20)}
    assert worker_pid not in pids
    managers = htex.connected_managers()
    assert len(managers) == 1 and managers[0]["worker_count"] == 2
    assert psutil.Process(manager_pid).is_running()


def test_worker_lost_is_retried_by_the_kernel(run_dir: str, tmp_path: Path) -> None:
    @python_app
    def flaky(marker: str) -> str:
        return htex_tasks.kill_own_worker_once(marker)

    htex = HighThroughputExecutor(
        label="htex", max_workers_per_node=1, provider=LocalProvider(init_blocks=1)
    )
    with parsl.load(Config(executors=[htex], run_dir=run_dir, retries=1)):
        assert flaky(str(tmp_path / "marker")).result(timeout=60) == "second try"


@pytest.mark.parametrize("code", [2, "giving up"])
def test_a_task_calling_sys_exit_fails_with_worker_lost_and_the_worker_lives_on(
    make_htex: MakeHtex, tmp_path: Path, code: int | str
) -> None:
    htex = make_htex(max_workers_per_node=1)
    marker = tmp_path / "exited"
    fut = htex.submit(htex_tasks.exit_once, {}, str(marker), code)
    # WorkerLost, as Parsl reports it, and an Exception: never SystemExit, which would
    # end the calling script in silence.
    with pytest.raises(WorkerLost, match=re.escape(f"sys.exit({code!r})")) as lost:
        fut.result(timeout=30)
    assert type(lost.value) is TaskExited and lost.value.code == code
    assert "SystemExit" in "".join(lost.value.__notes__)  # the remote traceback
    assert lost.value.hostname == socket.gethostname()
    # The same worker process runs the next task: it was not lost.
    again = htex.submit(htex_tasks.exit_once, {}, str(marker), code)
    assert again.result(timeout=30) == "second try"
    assert htex.submit(htex_tasks.where, {}).result(timeout=30)["pid"] == int(marker.read_text())


def test_a_task_calling_sys_exit_is_retried_by_the_kernel(run_dir: str, tmp_path: Path) -> None:
    @python_app
    def exits_once(marker: str) -> str:
        return htex_tasks.exit_once(marker, 3)

    htex = HighThroughputExecutor(
        label="htex", max_workers_per_node=1, provider=LocalProvider(init_blocks=1)
    )
    with parsl.load(Config(executors=[htex], run_dir=run_dir, retries=1)):
        assert exits_once(str(tmp_path / "marker")).result(timeout=60) == "second try"


def test_killed_manager_fails_its_tasks_with_manager_lost_at_once(
    make_htex: MakeHtex, tmp_path: Path
) -> None:
    htex = make_htex(heartbeat_period=30, heartbeat_threshold=60)
    marker = tmp_path / "pid"
    fut = htex.submit(htex_tasks.write_pid_and_sleep, {}, str(marker), 60)
    worker_pid, manager_pid = map(int, wait_for_file(marker).split())
    t0 = time.monotonic()
    os.kill(manager_pid, signal.SIGKILL)
    with pytest.raises(ManagerLost, match="its connection closed") as lost:
        fut.result(timeout=20)
    assert lost.value.hostname == os.uname().nodename
    assert time.monotonic() - t0 < 5, "its closed connection, not the 60 s heartbeat threshold"
    assert not wait_gone([worker_pid], timeout=5), "the orphaned worker must exit"


def test_silent_manager_is_lost_after_heartbeat_threshold(
    make_htex: MakeHtex, tmp_path: Path
) -> None:
    htex = make_htex(**FAST_HEARTBEATS)
    marker = tmp_path / "pid"
    fut = htex.submit(htex_tasks.write_pid_and_sleep, {}, str(marker), 60)
    _, manager_pid = map(int, wait_for_file(marker).split())
    os.kill(manager_pid, signal.SIGSTOP)  # alive, but silent
    try:
        t0 = time.monotonic()
        with pytest.raises(ManagerLost, match="no heartbeat"):
            fut.result(timeout=10)
        elapsed = time.monotonic() - t0
        assert FAST_HEARTBEATS["heartbeat_threshold"] - 0.5 < elapsed < 4
    finally:
        os.kill(manager_pid, signal.SIGCONT)
    # Woken up, it learns it was dropped and exits; its block ends.
    assert not wait_gone([manager_pid], timeout=10)


def test_block_cancelled_under_running_tasks_fails_them_at_once(
    make_htex: MakeHtex, tmp_path: Path
) -> None:
    htex = make_htex(heartbeat_period=30, heartbeat_threshold=120)
    marker = tmp_path / "pid"
    fut = htex.submit(htex_tasks.write_pid_and_sleep, {}, str(marker), 60)
    wait_for_file(marker)
    t0 = time.monotonic()
    htex.provider.cancel([htex.blocks["0"]])
    with pytest.raises(ManagerLost, match="block '0'"):
        fut.result(timeout=10)
    # The block monitor or the manager's closed connection, whichever comes first (both
    # name the block), not the 120 s heartbeat threshold.
    assert time.monotonic() - t0 < 5
    assert not htex.bad_state_is_set


def test_killed_interchange_fails_everything_fast(make_htex: MakeHtex, tmp_path: Path) -> None:
    htex = make_htex(**FAST_HEARTBEATS)
    marker = tmp_path / "pid"
    running = htex.submit(htex_tasks.write_pid_and_sleep, {}, str(marker), 60)
    _, manager_pid = map(int, wait_for_file(marker).split())
    queued = [htex.submit(htex_tasks.sleep_then, {}, 60) for _ in range(5)]
    assert htex.interchange_pid is not None
    t0 = time.monotonic()
    os.kill(htex.interchange_pid, signal.SIGKILL)
    for fut in [running, *queued]:
        with pytest.raises(InterchangeLost, match="interchange process .* ended unexpectedly"):
            fut.result(timeout=5)
    assert time.monotonic() - t0 < 2
    assert htex.bad_state_is_set and isinstance(htex.executor_exception, InterchangeLost)
    t1 = time.monotonic()
    with pytest.raises(InterchangeLost):
        htex.submit(htex_tasks.add, {}, 1, 2)
    assert time.monotonic() - t1 < 0.5
    # The manager notices the silence and exits on its own.
    assert not wait_gone([manager_pid], timeout=FAST_HEARTBEATS["heartbeat_threshold"] + 5)


def test_interchange_and_managers_exit_when_the_user_process_dies(tmp_path: Path) -> None:
    script = f"""
import os, signal, sys, time
sys.path.insert(0, {os.path.dirname(htex_tasks.__file__)!r})
import htex_tasks
from parsl.executors import HighThroughputExecutor
from parsl.providers import LocalProvider
htex = HighThroughputExecutor(label="orphan", heartbeat_period=0.3, heartbeat_threshold=1.5,
                              provider=LocalProvider(init_blocks=1))
htex.run_dir = {str(tmp_path)!r}
htex.start()
info = htex.submit(htex_tasks.where, {{}}).result(timeout=30)
print(htex.interchange_pid, info["ppid"], info["pid"], flush=True)
os.kill(os.getpid(), signal.SIGKILL)
"""
    proc = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=False
    )
    assert proc.returncode == -signal.SIGKILL, proc.stderr
    pids = [int(p) for p in proc.stdout.split()]
    try:
        left = wait_gone(pids, timeout=10)
        assert not left, f"still running after the user's process died: {left}"
    finally:
        kill_by_pid(pids)


@pytest.mark.parametrize(
    ("override", "component"),
    [({"python_version": "2.7"}, "Python 2.7"), ({"kernel_version": "9.9.9"}, "parsl-kernel")],
)
def test_manager_with_other_versions_fails_the_futures_with_version_mismatch(
    make_htex: MakeHtex, override: dict, component: str
) -> None:
    htex = make_htex(provider=LocalProvider(init_blocks=0))
    queued = [htex.submit(htex_tasks.add, {}, i, i) for i in range(3)]
    assert htex.bound_worker_port is not None
    sock = FakeManager(htex.bound_worker_port)
    try:
        fields = {**local_versions(), **override}
        sock.send(
            Register(
                manager_id="fake-manager",
                block_id=None,
                hostname="elsewhere",
                worker_count=4,
                prefetch_capacity=0,
                **fields,
            ).encode()
        )
        for fut in queued:
            with pytest.raises(VersionMismatch, match=component):
                fut.result(timeout=10)
        frame = sock.receive(5)
        assert frame is not None, "the fake manager must be told it is rejected"
        answer = decode(frame)
        assert isinstance(answer, Rejected) and component in answer.reason
        with pytest.raises(VersionMismatch):
            htex.submit(htex_tasks.add, {}, 1, 1)
    finally:
        sock.close()


def test_manager_speaking_another_protocol_version_is_refused(make_htex: MakeHtex) -> None:
    htex = make_htex(provider=LocalProvider(init_blocks=0))
    fut = htex.submit(htex_tasks.add, {}, 1, 1)
    assert htex.bound_worker_port is not None
    sock = FakeManager(htex.bound_worker_port)
    try:
        sock.send(MAGIC + (99).to_bytes(2, "big") + (2).to_bytes(4, "big") + b"{}")
        with pytest.raises(VersionMismatch, match="protocol version 99"):
            fut.result(timeout=10)
    finally:
        sock.close()


def test_blocks_that_fail_at_start_put_the_executor_in_a_bad_state(make_htex: MakeHtex) -> None:
    htex = make_htex(
        launch_cmd="echo block-stdout-text; echo block-stderr-text >&2; exit 3 # {block_id}",
        provider=LocalProvider(init_blocks=1),
    )
    fut = htex.submit(htex_tasks.add, {}, 1, 1)
    with pytest.raises(BlocksFailed) as info:
        fut.result(timeout=15)
    text = str(info.value)
    assert "block-stdout-text" in text and "block-stderr-text" in text
    with pytest.raises(BlocksFailed):
        htex.submit(htex_tasks.add, {}, 1, 1)


def test_interchange_that_never_reports_ready_fails_start_in_bounded_time(
    make_htex: MakeHtex,
) -> None:
    htex = make_htex(
        start=False,
        interchange_launch_cmd=[sys.executable, "-c", "import time; time.sleep(60)"],
        interchange_start_timeout=1.0,
    )
    t0 = time.monotonic()
    with pytest.raises(InterchangeStartFailed, match="did not report ready within 1.0 s"):
        htex.start()
    assert time.monotonic() - t0 < 5


def test_interchange_that_dies_at_start_shows_its_stderr(make_htex: MakeHtex) -> None:
    htex = make_htex(
        start=False,
        interchange_launch_cmd=[
            sys.executable,
            "-c",
            "import sys; sys.stderr.write('no such luck'); sys.exit(4)",
        ],
    )
    with pytest.raises(InterchangeStartFailed, match="exited with code 4.*no such luck"):
        htex.start()


def test_worker_port_in_use_is_a_clear_start_error(make_htex: MakeHtex) -> None:
    squatter = socket.socket()
    squatter.bind(("127.0.0.1", 0))
    squatter.listen(1)
    port = squatter.getsockname()[1]
    try:
        htex = make_htex(start=False, worker_port=port)
        with pytest.raises(InterchangeStartFailed, match=f"cannot bind 127.0.0.1 on port {port}"):
            htex.start()
    finally:
        squatter.close()


def test_bad_state_fails_submissions_through_the_dfk(run_dir: str) -> None:
    @python_app
    def noop() -> None:
        return None

    htex = HighThroughputExecutor(label="htex", provider=LocalProvider(init_blocks=0))
    with parsl.load(Config(executors=[htex], run_dir=run_dir)):
        assert htex.interchange_pid is not None
        os.kill(htex.interchange_pid, signal.SIGKILL)
        deadline = time.monotonic() + 5
        while not htex.bad_state_is_set:
            assert time.monotonic() < deadline
            time.sleep(0.05)
        with pytest.raises((InterchangeLost, BadStateException)):
            noop().result(timeout=5)

"""WorkQueueExecutor with real work_queue_worker processes on 127.0.0.1."""

from __future__ import annotations

import contextlib
import os
import signal
import time
from pathlib import Path

import psutil
import pytest

import parsl
from parsl import File, python_app
from parsl.config import Config
from parsl.errors import ConfigurationError
from parsl.executors.cctools.errors import ManagerLost, WorkerLost
from parsl.executors.cctools.processes import free_port
from parsl.executors.cctools.testing import Workers, alive, descendants
from parsl.executors.errors import InvalidResourceSpecification, UnsupportedFeatureError
from parsl.executors.workqueue import WorkQueueExecutor
from parsl.executors.workqueue.errors import WorkQueueFailure, WorkQueueTaskFailure
from parsl.monitoring.memory import MemorySink
from parsl.monitoring.types import MessageType
from parsl.providers import LocalProvider

pytestmark = pytest.mark.timeout(90)


def double(x: int) -> int:
    return 2 * x


def where(inp: File, outputs: list[File]) -> str:
    with open(inp) as f:
        text = f.read()
    with open(outputs[0], "w") as f:
        f.write(text.upper())
    return os.getcwd()


def sleep_then_pid(seconds: float, marker: str) -> int:
    with open(marker, "a") as f:
        f.write(f"{os.getpid()}\n")
    time.sleep(seconds)
    return os.getpid()


def test_public_import_path_and_parameters() -> None:
    from parsl.executors import WorkQueueExecutor as viaregistry

    assert viaregistry is WorkQueueExecutor
    ex = WorkQueueExecutor(provider=None, address="127.0.0.1", port=9999, project_name="p")
    assert "-M p" in ex.worker_command and ex.provider is None
    assert isinstance(WorkQueueExecutor().provider, LocalProvider)
    with pytest.raises(UnsupportedFeatureError, match="pack"):
        WorkQueueExecutor(pack=True)
    with pytest.raises(ConfigurationError, match="port"):
        WorkQueueExecutor(port=-1)
    with pytest.raises(ConfigurationError, match="max_retries"):
        WorkQueueExecutor(max_retries=-1)
    with pytest.raises(ConfigurationError, match="project_password_file"):
        WorkQueueExecutor(project_password_file="/nonexistent/pw")


def test_cores_memory_disk_go_together_without_autolabel() -> None:
    ex = WorkQueueExecutor(provider=None)
    with pytest.raises(InvalidResourceSpecification, match="together"):
        ex.validate_resource_specification({"cores": 1})
    ex.validate_resource_specification(
        {"cores": 1, "memory": 10, "disk": 10, "priority": 2, "category": "c"}
    )
    WorkQueueExecutor(provider=None, autolabel=True).validate_resource_specification({"cores": 1})


def test_files_move_between_separate_sandboxes(
    tmp_path: Path, workers: Workers, executor: WorkQueueExecutor
) -> None:
    workers.start(executor.manager_port or 0, 2)
    results = []
    for i in range(4):
        src = tmp_path / f"in{i}.txt"
        src.write_text(f"hello {i}")
        out = File(str(tmp_path / f"out{i}.txt"))
        spec = {"cores": 1, "memory": 100, "disk": 100, "running_time_min": 1, "priority": i}
        results.append((executor.submit(where, spec, File(str(src)), outputs=[out]), out, i))
    for future, out, i in results:
        cwd = future.result(timeout=60)
        assert any(cwd.startswith(str(w)) for w in workers.workdirs), cwd
        assert Path(out.filepath).read_text() == f"HELLO {i}"
    assert executor.measured_resources == {}  # monitoring is off without autolabel


def test_killed_worker_gives_a_retry_elsewhere(
    tmp_path: Path, workers: Workers, executor: WorkQueueExecutor
) -> None:
    first, second = workers.start(executor.manager_port or 0, 2)
    marker = tmp_path / "pids"
    spec = {"cores": 1, "memory": 100, "disk": 100}
    future = executor.submit(sleep_then_pid, spec, 3, str(marker))
    deadline = time.monotonic() + 30
    # The task appends its pid and a newline; the file exists a moment before the line is in it.
    while (
        not (marker.exists() and marker.read_text().endswith("\n")) and time.monotonic() < deadline
    ):
        time.sleep(0.1)
    task_pid = int(marker.read_text().split()[0])
    victim = next(w for w in (first, second) if task_pid in descendants(w.pid))
    os.killpg(victim.pid, signal.SIGKILL)  # the worker and its task die, as when a node fails
    with contextlib.suppress(ProcessLookupError):  # the task runs in a group of its own
        os.kill(task_pid, signal.SIGKILL)
    assert future.result(timeout=60) != task_pid
    assert len(marker.read_text().split()) == 2


def test_manager_death_fails_every_future(workers: Workers, executor: WorkQueueExecutor) -> None:
    workers.start(executor.manager_port or 0, 1)
    futures = [executor.submit(time.sleep, {}, 30) for _ in range(3)]
    assert executor.manager_pid is not None
    os.kill(executor.manager_pid, signal.SIGKILL)
    for f in futures:
        with pytest.raises(ManagerLost, match="exited"):
            f.result(timeout=10)
    with pytest.raises(WorkQueueFailure):  # Parsl's name for it
        executor.submit(double, {}, 1)


def test_workflow_through_local_provider_with_monitoring(tmp_path: Path) -> None:
    sink = MemorySink(resource_monitoring_interval=0.2)
    ex = WorkQueueExecutor(
        port=free_port(), address="127.0.0.1", provider=LocalProvider(init_blocks=1, max_blocks=1)
    )
    config = Config(
        executors=[ex], run_dir=str(tmp_path), monitoring=sink, strategy="none", retries=1
    )
    app = python_app(double, executors=["WorkQueueExecutor"])
    dfk = parsl.load(config)
    try:
        assert sum(app(i).result(timeout=60) for i in range(3)) == 6
        assert ex.blocks_to_job_id
        manager = ex.manager_pid
        pids = [
            p.pid
            for p in psutil.process_iter(["cmdline"])
            if (p.info["cmdline"] or [""])[0].endswith("work_queue_worker")
            and str(ex.manager_port) in p.info["cmdline"]
        ]
        assert pids  # the block's work_queue_worker
    finally:
        dfk.cleanup()
        parsl.clear()
    states = {m[1]["task_status_name"] for m in sink.messages if m[0] is MessageType.TASK_INFO}
    assert {"running", "running_ended"} <= states
    assert any(m[0] is MessageType.RESOURCE_INFO for m in sink.messages)
    assert any(m[0] is MessageType.BLOCK_INFO for m in sink.messages)
    assert manager is not None and not alive(manager)
    assert not [p for p in pids if alive(p)]


def test_worker_lost_on_every_try_fails_clearly(
    tmp_path: Path, workers: Workers, executor: WorkQueueExecutor
) -> None:
    # max_retries=1 (Parsl's default): one lost worker is retried, a second loss is final.
    procs = workers.start(executor.manager_port or 0, 2)
    marker = tmp_path / "pids"
    future = executor.submit(
        sleep_then_pid, {"cores": 1, "memory": 100, "disk": 100}, 60, str(marker)
    )
    for n in (1, 2):
        deadline = time.monotonic() + 60
        while (
            not marker.exists() or len(marker.read_text().split()) < n
        ) and time.monotonic() < deadline:
            time.sleep(0.1)
        task_pid = int(marker.read_text().split()[n - 1])
        victim = next(w for w in procs if task_pid in descendants(w.pid))
        os.killpg(victim.pid, signal.SIGKILL)
        with contextlib.suppress(ProcessLookupError):  # the task runs in a group of its own
            os.kill(task_pid, signal.SIGKILL)
    with pytest.raises(WorkerLost, match="max retries") as e:
        future.result(timeout=30)
    assert isinstance(e.value, WorkQueueTaskFailure) and "max retries" in e.value.reason
    assert e.value.worker is not None and e.value.worker.startswith("127.0.0.1:")
    assert str(e.value).count("127.0.0.1:") >= 3  # names the worker, and both that ran it


def test_a_task_given_back_unstarted_is_submitted_again(tmp_path: Path) -> None:
    # A worker whose free disk shrank after its last report gives a whole-worker task back
    # unstarted (forsaken), which Work Queue counts as a try. The backend submits such a task
    # again, a bounded number of times, unless a worker that had it was lost.
    from types import SimpleNamespace

    from parsl.executors.cctools.resources import TaskResources
    from parsl.executors.cctools.taskfiles import prepare_task
    from parsl.executors.workqueue.manager import (
        MAX_REQUEUES,
        WorkQueueBackend,
        WorkQueueSettings,
    )

    settings = WorkQueueSettings(
        port=0,
        project_name=None,
        project_password_file=None,
        env={},
        autolabel=False,
        autolabel_window=1,
        max_retries=1,
        init_command="",
        full_debug=False,
        log_dir=str(tmp_path / "logs"),
        use_cache=False,
    )
    backend = WorkQueueBackend(settings)
    try:
        staging = tmp_path / "staging"
        staging.mkdir()
        package = prepare_task(
            staging_dir=str(staging),
            task_id=5,
            func=double,
            args=(1,),
            kwargs={},
            resources=TaskResources(),
            shared_fs=False,
        )
        log = tmp_path / "transactions"
        backend._transactions = str(log)
        max_retries = next(k for k, v in backend._names.items() if v == "MAX_RETRIES")
        given_back = SimpleNamespace(id=41, result=max_retries, tag="5")
        log.write_text(
            "1 2 TASK 41 RUNNING 127.0.0.1:1  FIRST_RESOURCES {}\n"
            "1 2 TASK 41 RUNNING 127.0.0.1:2  FIRST_RESOURCES {}\n"
        )
        for _ in range(MAX_REQUEUES):
            assert backend._requeue_if_forsaken(given_back, package)
        assert len(backend._running) == MAX_REQUEUES  # each a new Work Queue task
        assert not backend._requeue_if_forsaken(given_back, package)  # then it fails
        backend._requeued.clear()
        with log.open("a") as f:
            f.write("1 2 WORKER worker-a 127.0.0.1:2  DISCONNECTION FAILURE\n")
        assert not backend._requeue_if_forsaken(given_back, package)  # lost with a worker
        success = next(k for k, v in backend._names.items() if v == "SUCCESS")
        assert not backend._requeue_if_forsaken(
            SimpleNamespace(id=41, result=success, tag="5"), package
        )
    finally:
        backend.close()


def init_mark() -> str:
    return os.environ.get("PARSL_INIT_MARK", "")


def test_init_command_runs_before_each_task(tmp_path: Path, workers: Workers) -> None:
    ex = WorkQueueExecutor(
        provider=None,
        address="127.0.0.1",
        port=free_port(),
        init_command="export PARSL_INIT_MARK=from-init",
    )
    ex.run_dir = str(tmp_path / "runinfo")
    ex.start()
    try:
        workers.start(ex.manager_port or 0, 1)
        assert ex.submit(init_mark, {}).result(timeout=60) == "from-init"
    finally:
        ex.shutdown()

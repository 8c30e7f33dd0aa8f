"""WorkQueueExecutor(coprocess=True): tasks run as calls to parsl-wq-coprocess on real workers."""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest

import parsl
from parsl import File, python_app
from parsl.config import Config
from parsl.errors import ConfigurationError
from parsl.executors.cctools.processes import free_port, require_program
from parsl.executors.cctools.testing import Workers, alive
from parsl.executors.workqueue import WorkQueueExecutor
from parsl.executors.workqueue.coprocess import OUTPUT_NAME
from parsl.executors.workqueue.errors import WorkQueueTaskFailure
from parsl.monitoring.memory import MemorySink
from parsl.monitoring.types import MessageType
from parsl.providers import LocalProvider

pytestmark = pytest.mark.timeout(90)


def whoami(inp: File, outputs: list[File]) -> tuple[int, str, str, str]:
    with open(inp) as f, open(outputs[0], "w") as out:
        out.write(f.read().upper())
    print("said on stdout")
    return os.getppid(), os.getcwd(), sys.argv[0], os.environ.get("PARSL_TEST_ENV", "")


def crash(code: int) -> None:
    print("about to exit", flush=True)
    os._exit(code)


def fail() -> None:
    raise ValueError("raised in the coprocess")


def sleep_then_pid(seconds: float, marker: str) -> int:
    with open(marker, "w") as f:
        f.write(f"{os.getpid()}\n")
    time.sleep(seconds)
    return os.getpid()


@pytest.fixture
def coprocess_executor(tmp_path: Path) -> Iterator[WorkQueueExecutor]:
    ex = WorkQueueExecutor(
        provider=None,
        address="127.0.0.1",
        port=free_port(),
        coprocess=True,
        env={"PARSL_TEST_ENV": "from-env"},
    )
    ex.run_dir = str(tmp_path / "runinfo")
    ex.start()
    yield ex
    ex.shutdown()


def _start_worker(workers: Workers, ex: WorkQueueExecutor) -> psutil.Process:
    """One worker with one coprocess; returns the worker's process."""
    script = require_program("parsl-wq-coprocess")
    (proc,) = workers.start(
        ex.manager_port or 0, 1, "--coprocess", script, "--coprocesses-total", "1"
    )
    return psutil.Process(proc.pid)


def _coprocesses(worker: psutil.Process) -> list[psutil.Process]:
    """The worker's coprocesses (the Python processes, not ``sh -c`` nor their forked calls)."""
    found = []
    for p in worker.children(recursive=True):
        try:
            cmdline = p.cmdline()
            python = bool(cmdline) and "python" in os.path.basename(cmdline[0])
            if python and any("parsl-wq-coprocess" in c for c in cmdline):
                found.append(p)
        except psutil.NoSuchProcess:
            pass
    pids = {p.pid for p in found}
    return [p for p in found if p.ppid() not in pids]


def test_worker_command_and_refused_combination() -> None:
    ex = WorkQueueExecutor(provider=None, address="127.0.0.1", port=9123, coprocess=True)
    assert "--coprocess parsl-wq-coprocess" in ex.worker_command
    assert "--coprocess" not in WorkQueueExecutor(provider=None).worker_command
    with pytest.raises(ConfigurationError, match="init_command"):
        WorkQueueExecutor(coprocess=True, init_command="module load x")


def test_tasks_run_as_calls_to_one_coprocess(
    tmp_path: Path, workers: Workers, coprocess_executor: WorkQueueExecutor
) -> None:
    worker = _start_worker(workers, coprocess_executor)
    seen = []
    for i in range(3):
        src = tmp_path / f"in{i}.txt"
        src.write_text(f"call {i}")
        out = File(str(tmp_path / f"out{i}.txt"))
        future = coprocess_executor.submit(whoami, {}, File(str(src)), outputs=[out])
        seen.append(future.result(timeout=60))
        assert Path(out.filepath).read_text() == f"CALL {i}"
    parents = {ppid for ppid, _, _, _ in seen}
    assert len(parents) == 1  # every call was forked by the same long-lived coprocess
    (coproc,) = _coprocesses(worker)
    assert parents == {coproc.pid}
    for _, cwd, argv0, env in seen:
        assert os.path.basename(cwd).startswith("t.")  # the task's own sandbox
        assert cwd.startswith(str(workers.workdirs[0]))
        assert argv0.endswith("parsl-wq-coprocess")
        assert env == "from-env"


def test_a_crashing_call_fails_clearly_and_the_coprocess_goes_on(
    workers: Workers, coprocess_executor: WorkQueueExecutor
) -> None:
    worker = _start_worker(workers, coprocess_executor)
    with pytest.raises(ValueError, match="raised in the coprocess"):
        coprocess_executor.submit(fail, {}).result(timeout=60)
    with pytest.raises(WorkQueueTaskFailure, match="exited with code 7") as e:
        coprocess_executor.submit(crash, {}, 7).result(timeout=60)
    assert "about to exit" in str(e.value)  # the call's output tail, from its sandbox's
    assert OUTPUT_NAME == "parsl.coprocess.out"
    (coproc,) = _coprocesses(worker)
    ppid = coprocess_executor.submit(os.getppid, {}).result(timeout=60)
    assert ppid == coproc.pid  # the same coprocess served the call after the crash


def test_the_worker_dying_ends_the_coprocess_and_its_call(
    tmp_path: Path, workers: Workers, coprocess_executor: WorkQueueExecutor
) -> None:
    worker = _start_worker(workers, coprocess_executor)
    marker = tmp_path / "pid"
    coprocess_executor.submit(sleep_then_pid, {}, 60, str(marker))
    deadline = time.monotonic() + 30
    while not (marker.exists() and marker.read_text().endswith("\n")):
        assert time.monotonic() < deadline, "the call never started"
        time.sleep(0.1)
    task_pid = int(marker.read_text())
    (coproc,) = _coprocesses(worker)
    worker.kill()  # the worker alone: the coprocess and the call must notice and end
    deadline = time.monotonic() + 15
    while alive(coproc.pid) or alive(task_pid):
        assert time.monotonic() < deadline, "the coprocess or its call outlived the worker"
        time.sleep(0.1)


def test_workflow_with_coprocess_blocks_and_monitoring(tmp_path: Path) -> None:
    sink = MemorySink(resource_monitoring_interval=0.2)
    ex = WorkQueueExecutor(
        port=free_port(),
        address="127.0.0.1",
        coprocess=True,
        provider=LocalProvider(init_blocks=1, max_blocks=1),
    )
    config = Config(executors=[ex], run_dir=str(tmp_path), monitoring=sink, strategy="none")
    app = python_app(os.getppid, executors=["WorkQueueExecutor"])
    dfk = parsl.load(config)
    try:
        parents = {app().result(timeout=60) for _ in range(4)}
        coprocesses = {
            p.pid
            for p in psutil.process_iter(["cmdline"])
            if "python" in ((p.info["cmdline"] or [""])[0])
            and any("parsl-wq-coprocess" in part for part in p.info["cmdline"] or [])
        }
        assert parents and parents <= coprocesses
    finally:
        dfk.cleanup()
        parsl.clear()
    states = {m[1]["task_status_name"] for m in sink.messages if m[0] is MessageType.TASK_INFO}
    assert {"running", "running_ended"} <= states  # reported from inside the calls
    deadline = time.monotonic() + 15
    while any(alive(pid) for pid in coprocesses):
        assert time.monotonic() < deadline, "a block's coprocess outlived cleanup()"
        time.sleep(0.1)


def _noop() -> str:
    return "ran"


@pytest.mark.parametrize(
    "program",
    ["parsl-wq-coprocess", "parsl_coprocess.py", "-m parsl.executors.workqueue.parsl_coprocess"],
)
def test_protocol_direct_bad_request_and_end_of_stdin(tmp_path: Path, program: str) -> None:
    # The coprocess as work_queue_worker drives it, without a worker: its announcement,
    # one call, a malformed request (dropped, the coprocess serves on), and end of stdin
    # ending it even while a connection stays open.
    import json
    import pickle
    import socket
    import subprocess

    from parsl.serialize.facade import deserialize, pack_apply_message

    sandbox = tmp_path / "t.7"
    sandbox.mkdir()
    (sandbox / "parsl.function").write_bytes(pack_apply_message(_noop, (), {}))
    (sandbox / "parsl.map").write_bytes(pickle.dumps({}))
    argv = (  # our name, Parsl's for workers started by hand, and Parsl's module path
        [sys.executable, *program.split()]
        if program.startswith("-m")
        else [require_program(program)]
    )
    proc = subprocess.Popen(
        argv,
        cwd=tmp_path,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)},
    )
    try:
        assert proc.stdout is not None and proc.stdin is not None
        size = int(proc.stdout.readline())
        announced = json.loads(proc.stdout.read(size))
        assert announced["name"] == "parsl_coprocess" and announced["port"] > 0

        def call(
            conn: socket.socket,
            task_id: int,
            names: list[str] = ["parsl.map", "parsl.function", "parsl.result"],  # noqa: B006
        ) -> dict[str, object]:
            body = json.dumps({"fn_args": names, "fn_kwargs": {}}).encode()
            conn.sendall(f"run_parsl_task {task_id} {len(body)}\n".encode() + body)
            reply = b""
            while b"\n" not in reply:
                reply += conn.recv(4096)
            head, _, rest = reply.partition(b"\n")
            while len(rest) < int(head):
                rest += conn.recv(4096)
            answer: dict[str, object] = json.loads(rest)
            return answer

        with socket.create_connection(("127.0.0.1", announced["port"]), timeout=30) as bad:
            bad.sendall(b"not a request\n")
            assert bad.recv(10) == b""  # dropped
        conn = socket.create_connection(("127.0.0.1", announced["port"]), timeout=30)
        assert call(conn, 7) == {"Result": 0, "StatusCode": 200, "Output": ""}
        outside = call(conn, 7, ["../../x.map", "parsl.function", "parsl.result"])
        assert outside["Result"] == 2 and "not three file names" in str(outside["Output"])
        result = deserialize((sandbox / "parsl.result").read_bytes())
        assert result["ok"] and result["value"] == "ran"
        proc.stdin.close()  # the worker's end: the coprocess ends, the open connection or not
        assert proc.wait(timeout=15) == 0
        conn.close()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        for pipe in (proc.stdin, proc.stdout):
            if pipe is not None:
                pipe.close()

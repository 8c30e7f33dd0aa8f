"""The executor and its interchange talk over the interchange's stdin and stdout pipes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import htex_tasks
import pytest
from conftest import interchange_settings

from parsl.executors import HighThroughputExecutor
from parsl.executors.high_throughput.errors import InterchangeLost, InterchangeStartFailed
from parsl.executors.high_throughput.frame_pipe import FrameReader, _pack
from parsl.executors.high_throughput.interchange_process import launch_interchange, stop_process
from parsl.executors.high_throughput.interchange_settings import InterchangeSettings
from parsl.executors.high_throughput.protocol import Reply, decode
from parsl.providers import LocalProvider

MakeHtex = Callable[..., HighThroughputExecutor]
INTERCHANGE = [sys.executable, "-m", "parsl.executors.high_throughput.interchange"]


def settings(logdir: Path) -> InterchangeSettings:
    return interchange_settings(str(logdir))


def fake_interchange(body: str) -> list[str]:
    """An interchange command that runs ``body`` (Python) instead."""
    return [sys.executable, "-c", body]


@pytest.mark.timeout(30)
def test_interchange_exits_at_once_when_the_executors_pipe_closes(tmp_path: Path) -> None:
    process, ready, _ = launch_interchange(INTERCHANGE, settings(tmp_path), timeout=20)
    try:
        assert isinstance(ready["worker_port"], int)
        assert process.stdin is not None
        start = time.monotonic()
        process.stdin.close()  # this process (its parent) lives on: only the pipe tells it
        assert process.wait(timeout=10) == 0
        assert time.monotonic() - start < 2.0
        log = (tmp_path / "interchange.log").read_text()
        assert "the executor closed its pipe" in log
    finally:
        stop_process(process, grace=2.0)
        if process.stdout is not None:
            process.stdout.close()


@pytest.mark.timeout(30)
def test_a_command_answered_over_the_pipes(tmp_path: Path) -> None:
    from parsl.executors.high_throughput.protocol import Command

    process, _, initial = launch_interchange(INTERCHANGE, settings(tmp_path), timeout=20)
    assert process.stdin is not None and process.stdout is not None
    try:
        frame = Command(request_id=7, op="status", args={}).encode()
        os.write(process.stdin.fileno(), _pack([frame]))
        reader = FrameReader(process.stdout.fileno(), initial)
        deadline = time.monotonic() + 10
        frames: list[bytes] = []
        while not frames and time.monotonic() < deadline:
            time.sleep(0.02)
            frames = reader.read_frames()
        (reply,) = [decode(f) for f in frames]
        assert isinstance(reply, Reply) and reply.request_id == 7 and reply.error is None
        assert reply.result["managers"] == []
    finally:
        stop_process(process, grace=2.0)
        process.stdin.close()
        process.stdout.close()


@pytest.mark.timeout(30)
def test_frames_in_the_same_read_as_the_ready_line_are_kept(tmp_path: Path) -> None:
    first = Reply(request_id=1, result={"x": 1}, error=None).encode()
    body = (
        "import os, sys\n"
        "sys.stdin.readline()\n"
        f"os.write(1, {json.dumps({'worker_port': 5}).encode()!r} + b'\\n' + {_pack([first])!r})\n"
        "sys.stdin.read()\n"
    )
    process, ready, rest = launch_interchange(fake_interchange(body), settings(tmp_path), 20)
    try:
        assert ready == {"worker_port": 5}
        assert process.stdout is not None
        assert FrameReader(process.stdout.fileno(), rest).read_frames() == [first]
    finally:
        stop_process(process, grace=2.0)
        for pipe in (process.stdin, process.stdout):
            if pipe is not None:
                pipe.close()


@pytest.mark.timeout(30)
def test_something_else_than_a_ready_line_is_a_clear_error(tmp_path: Path) -> None:
    body = "import sys\nsys.stdin.readline()\nprint('hello from a wrapper script', flush=True)\n"
    with pytest.raises(InterchangeStartFailed, match="instead of its ready line"):
        launch_interchange(fake_interchange(body), settings(tmp_path), 20)


@pytest.mark.timeout(60)
def test_an_interchange_that_closes_its_pipe_but_lives_fails_the_tasks(
    make_htex: MakeHtex, tmp_path: Path
) -> None:
    pid_file = tmp_path / "fake.pid"
    body = (
        "import os, sys, time\n"
        "sys.stdin.readline()\n"
        f"open({str(pid_file)!r}, 'w').write(str(os.getpid()))\n"
        "os.write(1, b'{\"worker_port\": 9}\\n')\n"
        "os.close(1)\n"
        "time.sleep(60)\n"
    )
    htex = make_htex(
        interchange_launch_cmd=fake_interchange(body),
        provider=LocalProvider(init_blocks=0),
    )
    fut = htex.submit(htex_tasks.add, {}, 1, 2)
    with pytest.raises(InterchangeLost, match="closed its pipe"):
        fut.result(timeout=20)
    assert htex.bad_state_is_set
    htex.shutdown(timeout=1)  # the fake interchange ignores its pipe: killed after 1 s
    pid = int(pid_file.read_text())
    with pytest.raises(ProcessLookupError):
        for _ in range(100):
            os.kill(pid, 0)  # gone once shutdown() returns (it stops what does not obey)
            time.sleep(0.05)


def test_the_executors_pipe_carries_a_burst_larger_than_the_pipe(make_htex: MakeHtex) -> None:
    htex = make_htex()
    blobs = [os.urandom(300_000) for _ in range(12)]  # 3.6 MB each way, in one burst
    futures = [htex.submit(htex_tasks.identity, {}, b) for b in blobs]
    assert [f.result(timeout=60) for f in futures] == blobs


def zeromq_threads() -> set[str]:
    """This process's ZeroMQ I/O and reaper threads (native threads, named ZMQbg/...)."""
    found = set()
    for task in os.listdir("/proc/self/task"):
        try:
            name = Path(f"/proc/self/task/{task}/comm").read_text().strip()
        except OSError:
            continue
        if name.startswith("ZMQbg"):
            found.add(task)
    return found


def test_no_zeromq_threads_in_the_executors_process(make_htex: MakeHtex) -> None:
    before = zeromq_threads()
    htex = make_htex()
    assert htex.submit(htex_tasks.add, {}, 2, 3).result(timeout=30) == 5
    assert zeromq_threads() == before


def test_a_task_too_large_for_a_frame_fails_alone(
    make_htex: MakeHtex, monkeypatch: pytest.MonkeyPatch
) -> None:
    from parsl.executors.high_throughput import client as client_module
    from parsl.executors.high_throughput.errors import HighThroughputError

    htex = make_htex()
    monkeypatch.setattr(client_module, "MAX_FRAME", 50_000)  # the real limit is 4 GiB
    with pytest.raises(HighThroughputError, match="more than the 50000 bytes one frame can carry"):
        htex.submit(htex_tasks.identity, {}, b"x" * 60_000)
    assert htex.submit(htex_tasks.identity, {}, b"y" * 1000).result(timeout=30) == b"y" * 1000
    assert not htex.bad_state_is_set


SIGPIPE_SCRIPT = """
import signal, sys
signal.signal(signal.SIGPIPE, signal.SIG_DFL)  # as a script piped into `head` may do
from parsl.executors import HighThroughputExecutor
from parsl.executors.high_throughput.errors import InterchangeLost
from parsl.providers import LocalProvider
fake = "import os, sys, time\\nsys.stdin.readline()\\nos.close(0)\\n" \\
    "os.write(1, b'{\\"worker_port\\": 9}\\\\n')\\ntime.sleep(60)\\n"
htex = HighThroughputExecutor(
    interchange_launch_cmd=[sys.executable, "-c", fake],
    provider=LocalProvider(init_blocks=0),
    shutdown_timeout=2,
)
htex.run_dir = sys.argv[1]
htex.start()
try:
    htex.submit(pow, {}, 2, 3).result(timeout=20)
except InterchangeLost as e:
    print("lost:", e)
htex.shutdown()
print("survived")
"""


@pytest.mark.timeout(60)
def test_a_script_with_default_sigpipe_survives_an_interchange_that_stops_reading(
    tmp_path: Path,
) -> None:
    proc = subprocess.run(
        [sys.executable, "-c", SIGPIPE_SCRIPT, str(tmp_path)],
        check=False,
        capture_output=True,
        text=True,
        timeout=50,
    )
    assert proc.returncode == 0, (proc.returncode, proc.stderr[-2000:])
    assert "lost: " in proc.stdout and "closed its pipe" in proc.stdout
    assert proc.stdout.rstrip().endswith("survived")

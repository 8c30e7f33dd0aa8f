"""parsl.progress: the terminal progress display over real workflows, to a pty and to a pipe."""

from __future__ import annotations

import fcntl
import os
import signal
import struct
import subprocess
import sys
import termios
import textwrap
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from pathlib import Path
from typing import IO, Any

import pytest

import parsl
from parsl import File, python_app
from parsl.config import Config
from parsl.dataflow.dflow import DataFlowKernel
from parsl.executors import ThreadPoolExecutor
from parsl.executors.base import ParslExecutor
from parsl.monitoring.sink import MonitoringSink, TaskTransition
from parsl.progress import Progress, progress


@python_app
def work(i: int, delay: float = 0.02) -> int:
    time.sleep(delay)
    if i % 5 == 4:
        raise ValueError(f"task {i} fails")
    return i


@python_app
def gated(gate: threading.Event, i: int) -> int:
    if not gate.wait(20):
        raise TimeoutError("gate never opened")
    return i


@python_app
def add(a: int, b: int) -> int:
    return a + b


@pytest.fixture
def threads(run_dir: str) -> Iterator[DataFlowKernel]:
    d = parsl.load(
        Config(executors=[ThreadPoolExecutor(max_threads=2, label="threads")], run_dir=run_dir)
    )
    try:
        yield d
    finally:
        parsl.clear()


@pytest.fixture
def devnull() -> Iterator[IO[str]]:
    with open(os.devnull, "w") as f:
        yield f


class Drain:
    """Reads one end of a pty or a pipe on a thread so the writer never blocks."""

    def __init__(self, fd: int) -> None:
        self.fd = fd
        self.chunks: list[bytes] = []
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        while True:
            try:
                data = os.read(self.fd, 65536)
            except OSError:  # EIO: the pty's other side closed
                return
            if not data:
                return
            self.chunks.append(data)

    def text(self, timeout: float = 10) -> str:
        self.thread.join(timeout)
        assert not self.thread.is_alive(), "the writer side was never closed"
        return b"".join(self.chunks).decode()


def open_pty(columns: int = 120) -> tuple[IO[str], Drain]:
    master, slave = os.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, columns, 0, 0))
    return os.fdopen(slave, "w"), Drain(master)


def open_pipe() -> tuple[IO[str], Drain]:
    r, w = os.pipe()
    return os.fdopen(w, "w"), Drain(r)


def test_pty_gets_one_updating_line_with_a_bar_and_the_final_counts(
    threads: DataFlowKernel,
) -> None:
    out, drain = open_pty()
    futs = [work(i) for i in range(20)]
    with Progress(futs, file=out, interval=0.05) as p:
        assert p.tty
        c = p.wait(timeout=30)
    out.close()
    text = drain.text()
    assert (c.total, c.done, c.failed, c.running, c.pending) == (20, 16, 4, 0, 0)
    assert c.eta == 0.0 and c.rate is not None and c.rate > 0
    assert text.count("\n") == 1 and text.endswith("\n")  # one line, rewritten in place
    assert text.count("\r") >= 2
    last = text.rstrip("\r\n").split("\r")[-1]
    assert last.startswith("[" + "#" * 10)
    assert "20/20 tasks: done 16 failed 4 running 0 pending 0" in last
    assert "done in 0:00:" in last
    assert len(last) < 120


def test_narrow_terminal_drops_the_bar_and_never_wraps(threads: DataFlowKernel) -> None:
    out, drain = open_pty(columns=40)
    with Progress([add(1, 2)], file=out) as p:
        p.wait(timeout=30)
    out.close()
    last = drain.text().rstrip("\r\n").split("\r")[-1].rstrip()
    assert not last.startswith("[") and len(last) <= 39
    assert last.startswith("1/1 tasks: done 1 failed 0")


def test_pipe_gets_plain_periodic_lines(threads: DataFlowKernel) -> None:
    out, drain = open_pipe()
    futs = [work(i, 0.05) for i in range(30)]  # ~0.75 s on two threads
    seen = list(progress(futs, file=out, interval=0.1, label="sims"))
    out.close()
    lines = drain.text().splitlines()
    assert "\r" not in "".join(lines)
    assert len(lines) >= 3, lines
    assert lines[-1].startswith("30/30 sims: done 24 failed 6 running 0 pending 0 |")
    assert "sims/s" in lines[-1]
    assert len(set(lines)) == len(lines)  # unchanged counts are not repeated
    assert sorted(seen, key=id) == sorted(futs, key=id) and len(seen) == 30
    assert all(f.done() for f in seen)


def test_running_and_pending_come_from_the_task_records(
    threads: DataFlowKernel, devnull: IO[str]
) -> None:
    gate = threading.Event()
    futs = [gated(gate, i) for i in range(5)]
    later = add(futs[0], 1)  # waits for a dependency: pending
    p = Progress([*futs, later], file=devnull)
    try:
        deadline = time.monotonic() + 10
        want = (0, 0, 2, 4)  # two threads: two tasks run, three queue there, one waits for a dep
        c = p.counts()
        while (c.done, c.failed, c.running, c.pending) != want and time.monotonic() < deadline:
            time.sleep(0.01)
            c = p.counts()
        assert (c.done, c.failed, c.running, c.pending) == want
        time.sleep(0.2)
        c = p.counts()
        assert (c.done, c.failed, c.running, c.pending) == want
        assert c.rate is None and c.eta is None
    finally:
        gate.set()
    c = p.wait(timeout=30)
    assert (c.done, c.failed, c.running, c.pending, c.finished) == (6, 0, 0, 0, 6)


class UnreportingExecutor(ParslExecutor):
    """Runs each call on its own thread and never marks its futures running."""

    def __init__(self, label: str) -> None:
        self.label = label

    def start(self) -> None:
        pass

    def submit(
        self, func: Callable[..., Any], resource_specification: dict[str, Any], /, *a: Any, **k: Any
    ) -> Future[Any]:
        fut: Future[Any] = Future()

        def run() -> None:
            try:
                fut.set_result(func(*a, **k))
            except BaseException as e:
                fut.set_exception(e)

        threading.Thread(target=run, daemon=True).start()
        return fut

    def shutdown(self) -> None:
        pass


def test_launched_counts_as_running_when_the_executor_does_not_say(
    run_dir: str, devnull: IO[str]
) -> None:
    gate = threading.Event()
    cfg = Config(executors=[UnreportingExecutor("quiet")], run_dir=run_dir)
    with parsl.load(cfg):
        futs = [gated(gate, i) for i in range(3)]
        p = Progress(futs, file=devnull)
        try:
            assert (p.counts().running, p.counts().pending) == (3, 0)
        finally:
            gate.set()
        assert p.wait(timeout=30).done == 3


class CountingSink(MonitoringSink):
    def __init__(self) -> None:
        self.n = 0

    def task_transition(self, event: TaskTransition) -> None:
        self.n += 1

    def close(self) -> None:
        pass


def test_works_with_monitoring_data_futures_and_plain_futures(
    run_dir: str, tmp_path: Path, devnull: IO[str]
) -> None:
    @python_app
    def touch(outputs: list[File] = []) -> None:  # noqa: B006
        Path(outputs[0]).write_text("x")

    sink = CountingSink()
    with parsl.load(
        Config(executors=[ThreadPoolExecutor(label="t")], run_dir=run_dir, monitoring=sink)
    ):
        data = touch(outputs=[File(str(tmp_path / "f"))]).outputs[0]
        plain: Future[int] = Future()
        p = Progress([data, plain, data], file=devnull)  # duplicates count once
        assert p.total == 2
        with pytest.raises(TimeoutError, match="1 of 2 futures finished within 0.3 s"):
            p.wait(timeout=0.3)
        c = p.counts()
        assert (c.done, c.running, c.pending) == (1, 0, 1)
        plain.set_running_or_notify_cancel()
        assert p.counts().running == 1
        plain.set_exception(OSError("lost"))
        c = p.wait(timeout=10)
        assert (c.total, c.done, c.failed, c.running, c.pending, c.eta) == (2, 1, 1, 0, 0, 0.0)
        assert c.elapsed >= 0.3
    assert sink.n > 0


def test_counts_mid_iteration_loses_no_future(threads: DataFlowKernel, devnull: IO[str]) -> None:
    futs = [add(i, 0) for i in range(10)]
    p = Progress(futs, file=devnull)
    got = []
    for f in p:
        p.counts()  # collects finished futures; iteration must still yield each once
        got.append(f.result())
    assert sorted(got) == list(range(10))
    assert p.counts().finished == 10


def test_empty_set_ends_at_once() -> None:
    out, drain = open_pipe()
    c = Progress([], file=out).wait(timeout=5)
    out.close()
    assert (c.total, c.finished, c.eta) == (0, 0, 0.0)
    assert drain.text().startswith("0/0 tasks: done 0")


def test_a_broken_stream_never_fails_the_wait(threads: DataFlowKernel) -> None:
    out, drain = open_pipe()
    out.close()
    drain.text()
    assert Progress([add(1, 1)], file=out).wait(timeout=10).done == 1


@pytest.mark.parametrize(
    ("futures", "kw", "error", "match"),
    [
        (Future(), {}, TypeError, "not a single Future: wrap it in a list"),
        (5, {}, TypeError, "iterable of futures, not int"),
        ([Future(), 3], {}, TypeError, "item 1 is a int, not a future"),
        ([], {"interval": 0}, ValueError, "interval=0 is not valid"),
        ([], {"interval": True}, ValueError, "interval=True is not valid"),
        ([], {"file": "out.txt"}, TypeError, "file must be a text stream"),
        ([], {"label": 3}, TypeError, "label must be a str"),
    ],
)
def test_bad_input_is_a_clear_error(
    futures: Any, kw: dict[str, Any], error: type, match: str
) -> None:
    with pytest.raises(error, match=match):
        Progress(futures, **kw)


CTRL_C_SCRIPT = textwrap.dedent(
    """
    import sys, time
    import parsl
    from parsl import python_app
    from parsl.config import Config
    from parsl.executors import ThreadPoolExecutor
    from parsl.progress import Progress, progress

    @python_app
    def nap(i):
        time.sleep(0.5 if i < 2 else 3)
        return i

    with parsl.load(Config(executors=[ThreadPoolExecutor(max_threads=2)], run_dir=sys.argv[1])):
        futures = [nap(i) for i in range(6)]
        if sys.argv[2] == "iterate":
            for f in progress(futures, interval=0.05):
                pass
        else:
            Progress(futures, interval=0.05).wait()
    """
)


@pytest.mark.timeout(60)
@pytest.mark.parametrize("mode", ["iterate", "wait"])
def test_ctrl_c_ends_the_line_and_raises_keyboard_interrupt(tmp_path: Path, mode: str) -> None:
    script = tmp_path / "flow.py"
    script.write_text(CTRL_C_SCRIPT)
    out, drain = open_pty()
    proc = subprocess.Popen(
        [sys.executable, str(script), str(tmp_path / "runinfo"), mode],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=out,
    )
    out.close()
    try:
        deadline = time.monotonic() + 30
        while "2/6 tasks" not in b"".join(drain.chunks).decode() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert "2/6 tasks" in b"".join(drain.chunks).decode()
        os.kill(proc.pid, signal.SIGINT)
        rc = proc.wait(timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=10)
    text = drain.text()
    assert rc != 0
    assert "(interrupted)\r\n" in text  # the pty turns \n into \r\n
    assert "KeyboardInterrupt" in text

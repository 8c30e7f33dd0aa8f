"""Fixtures for HighThroughputExecutor tests: real processes, all stopped and checked by pid."""

from __future__ import annotations

import contextlib
import os
import select
import socket
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import psutil
import pytest

from parsl.executors.high_throughput.executor import HighThroughputExecutor
from parsl.executors.high_throughput.frame_pipe import read_frame, write_frames
from parsl.executors.high_throughput.interchange_settings import InterchangeSettings
from parsl.providers import LocalProvider

TESTS_DIR = os.path.dirname(os.path.abspath(__file__))

FAST_HEARTBEATS: dict[str, Any] = {"heartbeat_period": 0.3, "heartbeat_threshold": 1.5}


def interchange_settings(logdir: str, **overrides: Any) -> InterchangeSettings:
    """Settings for an interchange started by a test: loopback, this process as its parent."""
    fields: dict[str, Any] = {
        "worker_address": "127.0.0.1",
        "worker_port": None,
        "worker_port_range": (54000, 55000),
        "heartbeat_period": 30.0,
        "heartbeat_threshold": 120.0,
        "poll_period_ms": 10,
        "logdir": logdir,
        "debug": False,
        "parent_pid": os.getpid(),
        "cert_dir": None,
    }
    fields.update(overrides)
    return InterchangeSettings(**fields)


class FakeManager:
    """A would-be manager on the plain TCP link: a connection that sends its id, then frames."""

    def __init__(self, port: int, manager_id: str = "fake-manager") -> None:
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=5)
        self.send(manager_id.encode())

    def send(self, *frames: bytes) -> None:
        write_frames(self.sock.fileno(), list(frames))

    def receive(self, timeout: float) -> bytes | None:
        """The next frame within ``timeout`` s; None if nothing came or the connection closed."""
        ready, _, _ = select.select([self.sock], [], [], timeout)
        return read_frame(self.sock.fileno()) if ready else None

    def close(self) -> None:
        self.sock.close()


def descendants() -> list[psutil.Process]:
    """Every live process below this one."""
    out = []
    for p in psutil.Process().children(recursive=True):
        try:
            if p.status() != psutil.STATUS_ZOMBIE:
                out.append(p)
        except psutil.NoSuchProcess:
            pass
    return out


def wait_gone(pids: list[int], timeout: float) -> list[int]:
    """Wait until no process in ``pids`` is alive (zombies count as gone); return those left."""
    deadline = time.monotonic() + timeout
    left = pids
    while True:
        left = [p for p in left if _alive(p)]
        if not left or time.monotonic() > deadline:
            return left
        time.sleep(0.05)


def wait_until(condition: Callable[[], bool], timeout: float = 20) -> None:
    """Poll ``condition`` every 50 ms; fail the test if it is not true within ``timeout`` s."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not reached in time"
        time.sleep(0.05)


def _alive(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def kill_by_pid(pids: list[int]) -> None:
    for pid in pids:
        with contextlib.suppress(psutil.NoSuchProcess):
            psutil.Process(pid).kill()


@pytest.fixture(autouse=True)
def _tasks_importable(monkeypatch: pytest.MonkeyPatch) -> None:
    """Worker processes import the task functions from this directory, as a user's would."""
    path = os.environ.get("PYTHONPATH", "")
    monkeypatch.setenv("PYTHONPATH", TESTS_DIR + (os.pathsep + path if path else ""))


@pytest.fixture
def run_dir(tmp_path: Path) -> str:
    return str(tmp_path / "runinfo")


@pytest.fixture
def make_htex(run_dir: str) -> Iterator[Callable[..., HighThroughputExecutor]]:
    """Build and start executors; at teardown shut each down and check no process is left."""
    started: list[HighThroughputExecutor] = []

    def make(start: bool = True, **kwargs: Any) -> HighThroughputExecutor:
        kwargs.setdefault("label", f"htex{len(started)}")
        kwargs.setdefault("max_workers_per_node", 2)
        kwargs.setdefault("provider", LocalProvider(init_blocks=1, max_blocks=2))
        ex = HighThroughputExecutor(**kwargs)
        ex.run_dir = run_dir
        started.append(ex)
        if start:
            ex.start()
        return ex

    before = {p.pid for p in descendants()}
    yield make
    for ex in started:
        ex.shutdown()
    left = wait_gone([p.pid for p in descendants() if p.pid not in before], timeout=10)
    kill_by_pid(left)
    assert not left, f"processes left behind after shutdown: {left}"

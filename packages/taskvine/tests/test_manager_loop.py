"""manager_main's loop against a recording backend: when it drives the manager, and when not."""

from __future__ import annotations

import queue
import threading
import time
from typing import Any

import pytest

from parsl.executors.cctools import manager_loop
from parsl.executors.cctools.manager_loop import (
    Completion,
    FailureKind,
    ManagerBackend,
    manager_main,
)
from parsl.executors.cctools.taskfiles import TaskPackage

pytestmark = pytest.mark.timeout(60)


class Recording(ManagerBackend):
    """Finishes every task at its next wait; records when wait was called."""

    def __init__(self) -> None:
        self.running: list[int] = []
        self.waits: list[float] = []

    @property
    def idle(self) -> bool:
        return not self.running

    def submit(self, package: TaskPackage) -> None:
        self.running.append(package.task_id)

    def wait(self, timeout: int) -> list[Completion]:
        self.waits.append(time.monotonic())
        done, self.running = self.running, []
        return [Completion(task_id, FailureKind.SUCCESS) for task_id in done]


class Events:
    def __init__(self) -> None:
        self.items: queue.Queue[tuple[str, Any]] = queue.Queue()

    def put(self, event: tuple[str, Any]) -> None:
        self.items.put(event)


def _package(task_id: int) -> TaskPackage:
    return TaskPackage(task_id, "f", "m", "r", (), (), "true")


def test_the_manager_runs_for_tasks_in_flight_and_rarely_when_idle(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A manager's wait holds the loop up to a second: called while idle, it delays the next
    # task. The loop drives it at once for a new task, and only every IDLE_WAIT_EVERY_S idle.
    monkeypatch.setattr(manager_loop, "IDLE_POLL_S", 0.05)
    monkeypatch.setattr(manager_loop, "IDLE_WAIT_EVERY_S", 2.0)
    backend = Recording()
    tasks: queue.Queue[TaskPackage | None] = queue.Queue()
    events = Events()
    loop = threading.Thread(target=manager_main, args=(lambda _: backend, None, tasks, events))
    loop.start()
    try:
        assert events.items.get(timeout=10)[0] == "ready"
        for task_id in (1, 2, 3):
            tasks.put(_package(task_id))
            kind, completion = events.items.get(timeout=10)
            assert kind == "done" and completion.task_id == task_id
        calls, last = len(backend.waits), backend.waits[-1]
        time.sleep(0.5)  # idle, well within one interval: not driven (each turn is 0.05 s)
        assert len(backend.waits) == calls
        deadline = time.monotonic() + 10  # but driven now and then, for workers that connect
        while len(backend.waits) == calls:
            assert time.monotonic() < deadline, "the idle manager was never driven"
            time.sleep(0.05)
        assert backend.waits[calls] - last >= 2.0
    finally:
        tasks.put(None)
        loop.join(timeout=10)
    assert not loop.is_alive()

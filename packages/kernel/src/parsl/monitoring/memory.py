"""MemorySink: a monitoring sink that keeps everything in memory, for notebooks and tests.

``Config(monitoring=MemorySink())`` records every task transition the kernel
reports and every message executors and workers send (running/running_ended,
resource samples, nodes, blocks), with no database. Read them from
``transitions`` and ``messages``, or one kind at a time with :meth:`of`.
``MemorySink(capture_file_provenance=True)`` also keeps the files tasks read
and write and the executors' environments (see :mod:`parsl.dataflow.provenance`).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

from parsl.monitoring.sink import MonitoringSink, TaskTransition
from parsl.monitoring.types import MessageType, TaggedMonitoringMessage

__all__ = ["MemorySink"]


class MemorySink(MonitoringSink):
    """Keeps every transition and message in memory (thread-safe; nothing is ever dropped)."""

    def __init__(
        self,
        resource_monitoring_enabled: bool = True,
        resource_monitoring_interval: float = 30,
        hub_address: str = "127.0.0.1",
        capture_file_provenance: bool = False,
    ) -> None:
        self.capture_file_provenance = capture_file_provenance
        self.resource_monitoring_enabled = resource_monitoring_enabled
        self.resource_monitoring_interval = resource_monitoring_interval
        self.hub_address = hub_address
        self.transitions: list[TaskTransition] = []
        self.messages: list[TaggedMonitoringMessage] = []
        self.closed = False
        self._lock = threading.Lock()

    def task_transition(self, event: TaskTransition) -> None:
        with self._lock:
            self.transitions.append(event)

    def send(self, message: TaggedMonitoringMessage) -> None:
        with self._lock:
            self.messages.append(message)

    def close(self) -> None:
        self.closed = True

    def of(self, kind: MessageType) -> list[dict[str, Any]]:
        """The bodies of the messages of one kind, in the order they arrived."""
        with self._lock:
            return [body for k, body in self.messages if k is kind]

    def wait_for(self, check: Callable[[], bool], timeout: float = 20.0) -> None:
        """Wait until ``check()`` is true; ``TimeoutError`` (showing the messages) after ``timeout`` s."""
        deadline = time.monotonic() + timeout
        while not check():
            if time.monotonic() > deadline:
                raise TimeoutError(
                    f"condition not met within {timeout} s; messages: {self.messages!r:.3000}"
                )
            time.sleep(0.02)

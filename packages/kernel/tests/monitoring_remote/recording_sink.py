"""A real MonitoringSink for tests: keeps every transition and message in memory."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from parsl.monitoring.sink import MonitoringSink, TaskTransition
from parsl.monitoring.types import MessageType, TaggedMonitoringMessage


class RecordingSink(MonitoringSink):
    """A real sink that keeps every transition and message in memory."""

    def __init__(
        self, resource_monitoring_enabled: bool = True, resource_monitoring_interval: float = 30
    ) -> None:
        self.resource_monitoring_enabled = resource_monitoring_enabled
        self.resource_monitoring_interval = resource_monitoring_interval
        self.hub_address = "127.0.0.1"
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

    def of(self, kind: MessageType) -> list[dict[str, object]]:
        with self._lock:
            return [body for k, body in self.messages if k is kind]

    def wait_for(self, check: Callable[[], bool], timeout: float = 15.0) -> None:
        deadline = time.monotonic() + timeout
        while not check():
            if time.monotonic() > deadline:
                raise AssertionError(
                    f"condition not met within {timeout} s: {self.messages!r:.2000}"
                )
            time.sleep(0.02)

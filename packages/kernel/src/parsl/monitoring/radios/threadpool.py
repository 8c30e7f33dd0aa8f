"""ThreadPoolRadio: for executors whose tasks run in the submitting process (ThreadPoolExecutor).

The sender calls the run's sink directly; nothing is serialized and nothing
listens. The radio object must therefore stay in this process (it holds the
sink), which is the case for thread-pool tasks.
"""

from __future__ import annotations

from parsl.errors import ParslError
from parsl.monitoring.radios.base import (
    MessageTarget,
    MonitoringRadioReceiver,
    MonitoringRadioSender,
    NullReceiver,
    RadioConfig,
)
from parsl.monitoring.types import TaggedMonitoringMessage

__all__ = ["ThreadPoolRadio", "ThreadPoolRadioSender"]


class ThreadPoolRadioSender(MonitoringRadioSender):
    """Hands each message to the sink, on the calling thread."""

    def __init__(self, target: MessageTarget) -> None:
        self.target = target

    def send(self, message: TaggedMonitoringMessage) -> None:
        self.target.send(message)


class ThreadPoolRadio(RadioConfig):
    """The radio for in-process executors: messages go straight to the sink."""

    def __init__(self) -> None:
        self._target: MessageTarget | None = None

    def create_receiver(
        self, *, run_dir: str, resource_msgs: MessageTarget, hub_address: str | None = None
    ) -> MonitoringRadioReceiver:
        self._target = resource_msgs
        return NullReceiver()

    def create_sender(self) -> MonitoringRadioSender:
        if self._target is None:
            raise ParslError(
                "ThreadPoolRadio has no receiver: create_receiver() must run (in this process, "
                "at executor start) before a task can send"
            )
        return ThreadPoolRadioSender(self._target)

    def __getstate__(self) -> dict[str, object]:
        raise ParslError(
            "ThreadPoolRadio only works in the submitting process (ThreadPoolExecutor); use "
            "UDPRadio or FilesystemRadio for executors whose tasks run elsewhere"
        )

    def __repr__(self) -> str:
        return "ThreadPoolRadio()"

"""The radio plugin interface: how monitoring messages travel from workers to the monitoring sink.

A :class:`RadioConfig` is what a user gives an executor as
``remote_monitoring_radio``. When monitoring is on, the executor calls
:meth:`RadioConfig.create_receiver` at ``start()`` (on the submit side:
it binds a socket, starts a polling thread, ...), keeps the returned
:class:`MonitoringRadioReceiver` and calls its ``shutdown()`` at executor
shutdown. The configured object then travels to the workers with each task,
where :meth:`RadioConfig.create_sender` returns a
:class:`MonitoringRadioSender` that reaches that receiver. The receiver
hands every message it gets to ``resource_msgs.send(message)``, normally the
run's :class:`~parsl.monitoring.sink.MonitoringSink`.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable
from typing import Protocol

from parsl.monitoring.types import TaggedMonitoringMessage

__all__ = ["MessageTarget", "MonitoringRadioReceiver", "MonitoringRadioSender", "RadioConfig"]


class MessageTarget(Protocol):
    """Where a receiver delivers messages (a MonitoringSink is one)."""

    def send(self, message: TaggedMonitoringMessage) -> None: ...


class MonitoringRadioSender(ABC):
    """The worker side of a radio: sends messages towards the receiver."""

    @abstractmethod
    def send(self, message: TaggedMonitoringMessage) -> None:
        """Send one message; may raise if the channel is broken (callers catch and log)."""

    def send_many(
        self, messages: Iterable[TaggedMonitoringMessage], *, final: bool = False
    ) -> None:
        """Send several messages; radios that can batch them override this.

        ``final``: these are the task's last messages (its final resource
        sample, ``running_ended``); a radio may hold them briefly to travel
        with the task's result, as htex's does.
        """
        for message in messages:
            self.send(message)


class MonitoringRadioReceiver(ABC):
    """The submit side of a radio: delivers what senders send until shut down."""

    @abstractmethod
    def shutdown(self) -> None:
        """Stop receiving, within a bounded time; idempotent."""


class RadioConfig(ABC):
    """A radio kind and its settings: makes the receiver (submit side) and senders (workers).

    ``create_receiver`` is called once, before any task runs, and may record
    in ``self`` what senders need to reach it (a port, a key, a directory):
    the configured object is pickled to the workers with every task.
    """

    @abstractmethod
    def create_sender(self) -> MonitoringRadioSender:
        """A sender for this worker process (called on the worker)."""

    @abstractmethod
    def create_receiver(
        self, *, run_dir: str, resource_msgs: MessageTarget, hub_address: str | None = None
    ) -> MonitoringRadioReceiver:
        """Start receiving for one executor; messages go to ``resource_msgs.send``.

        ``hub_address`` is the monitoring hub's address when the run has one;
        radios that listen on a network address use it as their default.
        """


class NullReceiver(MonitoringRadioReceiver):
    """A receiver with nothing to stop (the radio's messages arrive some other way)."""

    def shutdown(self) -> None:
        return None

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
from typing import Any, Protocol

from parsl.monitoring.radios.wire import as_body, encode_batch, encode_values
from parsl.monitoring.types import MessageType, TaggedMonitoringMessage

__all__ = [
    "EncodingSender",
    "MessageTarget",
    "MonitoringRadioReceiver",
    "MonitoringRadioSender",
    "PositionalMessage",
    "RadioConfig",
]

PositionalMessage = tuple[MessageType, list[Any]]
"""A message as its type and the values of :data:`parsl.monitoring.radios.wire.FIELDS` for it, in
order (None: the message lacks that key); how the worker's wrapper and resource sampler make them."""


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

    def send_values(self, messages: list[PositionalMessage], *, final: bool = False) -> None:
        """Send messages given positionally (see :data:`PositionalMessage`).

        The worker's task wrapper and resource sampler send this way. By
        default each becomes its dict and goes to :meth:`send_many` (with
        ``final``, or more than one) or :meth:`send`; a radio that encodes
        for the wire (:class:`EncodingSender`) encodes the values as they are.
        """
        dicts = [(kind, as_body(kind, values)) for kind, values in messages]
        if final or len(dicts) != 1:
            self.send_many(dicts, final=final)
        else:
            self.send(dicts[0])


class EncodingSender(MonitoringRadioSender):
    """A sender whose radio carries :mod:`parsl.monitoring.radios.wire` batches: it only transmits.

    ``send``, ``send_many`` and ``send_values`` encode (the last without a
    dict per message) and hand the bytes to :meth:`transmit`.
    """

    @abstractmethod
    def transmit(self, payload: bytes, final: bool) -> None:
        """Carry one encoded batch; ``final`` as in :meth:`MonitoringRadioSender.send_many`."""

    def send(self, message: TaggedMonitoringMessage) -> None:
        self.transmit(encode_batch([message]), False)

    def send_many(
        self, messages: Iterable[TaggedMonitoringMessage], *, final: bool = False
    ) -> None:
        self.transmit(encode_batch(messages), final)

    def send_values(self, messages: list[PositionalMessage], *, final: bool = False) -> None:
        self.transmit(encode_values(messages), final)


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

"""HTEXRadio: monitoring messages ride the HighThroughputExecutor's own channel.

On a worker, the executor installs a channel with :func:`install_channel`:
a function that takes one encoded batch (:mod:`parsl.monitoring.radios.wire`)
and whether it holds the task's last messages (htex sends those with the
task's result), and sends it to its manager, which forwards it through the interchange to
the executor; the executor's client hands the messages to the sink. So no
port is opened, and messages cross the network encrypted when htex's
traffic is. The kernel knows nothing of htex: it only keeps the channel.
"""

from __future__ import annotations

from collections.abc import Callable

from parsl.errors import ParslError
from parsl.monitoring.radios.base import (
    EncodingSender,
    MessageTarget,
    MonitoringRadioReceiver,
    NullReceiver,
    RadioConfig,
)

__all__ = ["HTEXRadio", "HTEXRadioSender", "install_channel"]

Channel = Callable[[bytes, bool], None]
"""Takes one encoded batch, and whether it holds a task's last messages (see ``send_many``)."""
_channel: Channel | None = None


def install_channel(channel: Channel | None) -> None:
    """Set (or with None, clear) this process's channel to its executor (htex workers call this)."""
    global _channel
    _channel = channel


class HTEXRadioSender(EncodingSender):
    """Encodes messages and passes them to the worker's channel."""

    def __init__(self, channel: Channel) -> None:
        self._channel = channel

    def transmit(self, payload: bytes, final: bool) -> None:
        self._channel(payload, final)


class HTEXRadio(RadioConfig):
    """The HighThroughputExecutor's default radio: its own ZeroMQ channel, nothing to configure."""

    def create_receiver(
        self, *, run_dir: str, resource_msgs: MessageTarget, hub_address: str | None = None
    ) -> MonitoringRadioReceiver:
        return NullReceiver()  # the executor's client delivers what arrives

    def create_sender(self) -> HTEXRadioSender:
        if _channel is None:
            raise ParslError(
                "HTEXRadio only works inside a HighThroughputExecutor worker; give this executor "
                "remote_monitoring_radio=UDPRadio() or FilesystemRadio() instead"
            )
        return HTEXRadioSender(_channel)

    def __repr__(self) -> str:
        return "HTEXRadio()"

"""MultiprocessingQueueRadio: for workers that are child processes of the submitting one.

Senders put each message on a ``multiprocessing`` queue that the worker
processes inherit (the configured radio travels to them as a ``Process``
argument, or by fork). Messages stay Python objects: nothing is encoded or
validated, as in Parsl. When the receiver is given a queue (anything with
``put``), senders put straight onto it; when it is given a sink (``send``,
as an executor here gives it), a thread moves messages from the radio's own
queue to the sink until :meth:`shutdown`.

A ``multiprocessing`` queue can only reach a process that starts after the
receiver exists, so the radio is for process pools started by the
executor; workers started elsewhere use :class:`~parsl.monitoring.radios.UDPRadio`
or :class:`~parsl.monitoring.radios.FilesystemRadio`.
"""

from __future__ import annotations

import logging
import threading
from typing import Any, Protocol

from parsl.errors import ParslError
from parsl.monitoring.radios.base import (
    MessageTarget,
    MonitoringRadioReceiver,
    MonitoringRadioSender,
    NullReceiver,
    RadioConfig,
)
from parsl.monitoring.types import TaggedMonitoringMessage
from parsl.multiprocessing import SpawnQueue

logger = logging.getLogger(__name__)

__all__ = [
    "MultiprocessingQueueRadio",
    "MultiprocessingQueueRadioReceiver",
    "MultiprocessingQueueRadioSender",
]

_STOP = "parsl-radio-stop"
"""Put on the radio's own queue by :meth:`MultiprocessingQueueRadioReceiver.shutdown`."""


class _Putter(Protocol):
    def put(self, obj: Any, block: bool = True, timeout: float | None = None) -> None: ...


class MultiprocessingQueueRadioSender(MonitoringRadioSender):
    """Puts each message on the queue, as it is."""

    def __init__(self, queue: _Putter) -> None:
        self.queue = queue

    def send(self, message: TaggedMonitoringMessage) -> None:
        self.queue.put(message)


class MultiprocessingQueueRadioReceiver(MonitoringRadioReceiver):
    """Moves messages from the radio's queue to a sink on a thread, until shut down."""

    def __init__(self, source: Any, target: MessageTarget, timeout: float) -> None:
        self._source = source
        self._target = target
        self._timeout = timeout
        self._stopped = False
        self.delivered = 0
        self._thread = threading.Thread(
            target=self._run, name="parsl-mp-radio-receiver", daemon=True
        )
        self._thread.start()

    def _run(self) -> None:
        while True:
            try:
                message = self._source.get()
            except (EOFError, OSError, ValueError):  # the queue was closed under us
                return
            if isinstance(message, str) and message == _STOP:
                return
            try:
                self._target.send(message)
                self.delivered += 1
            except Exception:
                logger.exception("multiprocessing radio: the sink refused a message")

    def shutdown(self) -> None:
        """Deliver what is already queued (up to the radio's ``atexit_timeout``), then stop."""
        if self._stopped:
            return
        self._stopped = True
        self._source.put(_STOP)
        self._thread.join(self._timeout)
        if self._thread.is_alive():
            logger.warning(
                "multiprocessing radio: messages still queued after %.1f s were dropped",
                self._timeout,
            )
            # what is still buffered here must not hold up this process's exit
            self._source.cancel_join_thread()


class MultiprocessingQueueRadio(RadioConfig):
    """Monitoring over a ``multiprocessing`` queue (Parsl's ``MultiprocessingQueueRadio``).

    Args:
        atexit_timeout: seconds :meth:`shutdown` of the receiver waits for
            queued messages to reach the sink.
    """

    def __init__(self, *, atexit_timeout: float = 3) -> None:
        if isinstance(atexit_timeout, bool) or not isinstance(atexit_timeout, int | float):
            raise TypeError(f"atexit_timeout must be a number of seconds, not {atexit_timeout!r}")
        if atexit_timeout < 0:
            raise ValueError(f"atexit_timeout must be >= 0, not {atexit_timeout}")
        self.atexit_timeout = atexit_timeout
        self._queue: _Putter | None = None

    def create_receiver(
        self, *, run_dir: str, resource_msgs: Any, hub_address: str | None = None
    ) -> MonitoringRadioReceiver:
        if callable(getattr(resource_msgs, "put", None)):
            self._queue = resource_msgs
            return NullReceiver()
        if not callable(getattr(resource_msgs, "send", None)):
            raise TypeError(
                "resource_msgs must be a queue (put) or a monitoring sink (send), "
                f"not {type(resource_msgs).__name__}"
            )
        own: Any = SpawnQueue()
        self._queue = own
        return MultiprocessingQueueRadioReceiver(own, resource_msgs, self.atexit_timeout)

    def create_sender(self) -> MonitoringRadioSender:
        if self._queue is None:
            raise ParslError(
                "MultiprocessingQueueRadio has no receiver: create_receiver() must run (at "
                "executor start, before the worker processes start) before a task can send"
            )
        return MultiprocessingQueueRadioSender(self._queue)

    def __repr__(self) -> str:
        return f"MultiprocessingQueueRadio(atexit_timeout={self.atexit_timeout!r})"

"""Monitoring radios: how workers' monitoring messages reach the run's sink.

Give an executor one as ``remote_monitoring_radio``:

* :class:`HTEXRadio` (the HighThroughputExecutor's default): over htex's own channel;
* :class:`UDPRadio`: datagrams to a receiver thread on the submit side;
* :class:`FilesystemRadio`: message files in the run directory;
* :class:`MultiprocessingQueueRadio`: a ``multiprocessing`` queue, for worker processes
  the executor starts itself;
* :class:`ThreadPoolRadio` (the ThreadPoolExecutor's default): straight to the sink.

Out-of-tree radios subclass :class:`RadioConfig`.
"""

from __future__ import annotations

from parsl.monitoring.radios.base import (
    MessageTarget,
    MonitoringRadioReceiver,
    MonitoringRadioSender,
    RadioConfig,
)
from parsl.monitoring.radios.filesystem import FilesystemRadio
from parsl.monitoring.radios.htex import HTEXRadio
from parsl.monitoring.radios.multiprocessing import MultiprocessingQueueRadio
from parsl.monitoring.radios.threadpool import ThreadPoolRadio
from parsl.monitoring.radios.udp import UDPRadio
from parsl.monitoring.radios.wire import WIRE_VERSION, RadioMessageError

__all__ = [
    "WIRE_VERSION",
    "FilesystemRadio",
    "HTEXRadio",
    "MessageTarget",
    "MonitoringRadioReceiver",
    "MonitoringRadioSender",
    "MultiprocessingQueueRadio",
    "RadioConfig",
    "RadioMessageError",
    "ThreadPoolRadio",
    "UDPRadio",
]

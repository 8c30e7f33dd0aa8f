"""The HighThroughputExecutor: executor, interchange, managers and workers over ZeroMQ.

The pure cores are :mod:`.protocol` (the versioned wire protocol) and
:mod:`.dispatch` (the interchange's task assignment); :mod:`.executor`,
:mod:`.client`, :mod:`.interchange`, :mod:`.manager`, :mod:`.worker_pool` and
:mod:`.worker` are the process layer around them. ``HighThroughputExecutor``
is imported lazily so that worker processes start without the client side.
"""

from typing import Any

from parsl.executors.high_throughput.dispatch import (
    DispatchCounters,
    DrainedManager,
    FailTask,
    Instruction,
    ManagerLoad,
    ManagerRemoved,
    RejectManager,
    SendTask,
    TaskDispatch,
)
from parsl.executors.high_throughput.errors import (
    HighThroughputError,
    InvalidDispatchEvent,
    MalformedMessage,
    ManagerLost,
    ProtocolError,
    ProtocolVersionMismatch,
    VersionMismatch,
    WorkerLost,
)
from parsl.executors.high_throughput.protocol import (
    PROTOCOL_VERSION,
    Message,
    check_compatible,
    decode,
)

__all__ = [
    "PROTOCOL_VERSION",
    "DispatchCounters",
    "DrainedManager",
    "FailTask",
    "HighThroughputError",
    "HighThroughputExecutor",
    "Instruction",
    "InvalidDispatchEvent",
    "MalformedMessage",
    "ManagerLoad",
    "ManagerLost",
    "ManagerRemoved",
    "Message",
    "ProtocolError",
    "ProtocolVersionMismatch",
    "RejectManager",
    "SendTask",
    "TaskDispatch",
    "VersionMismatch",
    "WorkerLost",
    "check_compatible",
    "decode",
]


def __getattr__(name: str) -> Any:
    if name == "HighThroughputExecutor":
        from parsl.executors.high_throughput.executor import HighThroughputExecutor

        return HighThroughputExecutor
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

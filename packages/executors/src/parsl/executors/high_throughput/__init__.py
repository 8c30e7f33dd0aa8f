"""The HighThroughputExecutor's pure cores: the wire protocol and the interchange's task dispatch.

The process and socket layer that runs them (executor, interchange, manager,
workers over ZeroMQ) is built on top of these and is not here yet.
"""

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

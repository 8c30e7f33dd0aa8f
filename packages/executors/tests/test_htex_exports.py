"""The public surface of parsl.executors.high_throughput, pinned so changes are deliberate."""

from __future__ import annotations

import parsl.executors.high_throughput as htex

EXPECTED = {
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
}


def test_public_names_are_exactly_the_pinned_ones() -> None:
    assert set(htex.__all__) == EXPECTED
    for name in EXPECTED:
        assert getattr(htex, name) is not None

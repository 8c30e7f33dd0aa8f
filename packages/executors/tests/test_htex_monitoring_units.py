"""htex's monitoring pieces on their own: frames, node and block reports, delivery to the sink."""

from __future__ import annotations

import pytest

from parsl.executors.high_throughput.monitoring_reports import (
    BlockReporter,
    ManagerInfo,
    deliver,
    node_info_frame,
)
from parsl.executors.high_throughput.protocol import (
    MONITORING_HEAD,
    Heartbeat,
    Monitoring,
    Result,
    decode,
    is_monitoring,
)
from parsl.jobs.states import JobState, JobStatus
from parsl.monitoring.memory import MemorySink
from parsl.monitoring.radios.wire import decode_batch, encode_batch
from parsl.monitoring.types import MessageType


def test_monitoring_frames_are_recognised_without_decoding() -> None:
    frame = Monitoring(payload=b"abc").encode()
    assert frame.startswith(MONITORING_HEAD) and frame[len(MONITORING_HEAD) :] == b"abc"
    assert is_monitoring(frame)
    assert not is_monitoring(Result(task_id=1, payload=b'{"kind":"MONITORING"').encode())
    assert not is_monitoring(Heartbeat(manager_id="m").encode())
    assert not is_monitoring(b"short")


def test_node_info_frame_holds_the_node_columns() -> None:
    info = ManagerInfo("node7", "3", 4, "3.11", 100.0, cpu_count=8, total_memory=2**30)
    msg = decode(node_info_frame("run", "m-1", info, active=False))
    assert isinstance(msg, Monitoring)
    ((kind, body),) = decode_batch(msg.payload)
    assert kind is MessageType.NODE_INFO
    assert {k: body[k] for k in ("hostname", "uid", "block_id", "cpu_count", "active")} == {
        "hostname": "node7",
        "uid": "m-1",
        "block_id": "3",
        "cpu_count": 8,
        "active": False,
    }
    assert body["total_memory"] == 2**30 and body["worker_count"] == 4
    assert body["python_v"] == "3.11" and body["last_heartbeat"] == body["timestamp"]


def test_deliver_drops_garbage_and_survives_a_failing_sink(
    caplog: pytest.LogCaptureFixture,
) -> None:
    sink = MemorySink()
    deliver("h", b"not json", sink)
    assert sink.messages == [] and "dropped a monitoring batch" in caplog.text
    good = (
        MessageType.BLOCK_INFO,
        {"run_id": "r", "block_id": "0", "status": "RUNNING", "timestamp": 1.0},
    )
    deliver("h", encode_batch([good]), None)  # monitoring off: nothing happens

    class Failing(MemorySink):
        def send(self, message: object) -> None:
            raise RuntimeError("disk full")

    deliver("h", encode_batch([good, good]), Failing())
    assert "refused a message" in caplog.text
    deliver("h", encode_batch([good]), sink)
    assert sink.messages == [good]


def test_deliver_hands_a_sink_with_send_encoded_the_payload_as_it_arrived(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The MonitoringHub decodes in its writer: the I/O thread only passes the bytes on."""

    class Encoded(MemorySink):
        def __init__(self) -> None:
            super().__init__()
            self.batches: list[bytes] = []

        def send_encoded(self, batch: bytes) -> None:
            self.batches.append(batch)

    sink = Encoded()
    payload = encode_batch(
        [
            (
                MessageType.BLOCK_INFO,
                {"run_id": "r", "block_id": "0", "status": "RUNNING", "timestamp": 1.0},
            )
        ]
    )
    deliver("h", payload, sink)
    deliver("h", b"not json", sink)  # passed on too: the writer refuses it with a warning
    assert sink.batches == [payload, b"not json"] and sink.messages == []

    class Refusing(MemorySink):
        def send_encoded(self, batch: bytes) -> None:
            raise RuntimeError("closed")

    deliver("h", payload, Refusing())
    assert "refused a batch" in caplog.text


def test_block_reporter_sends_one_row_per_change() -> None:
    reporter = BlockReporter("htex")
    reporter.report("0", "j1", JobStatus(JobState.PENDING))  # no sink yet: nothing
    sink = MemorySink()
    reporter.sink, reporter.run_id = sink, "run"
    for state in ("PENDING", "PENDING", "RUNNING", "RUNNING", "COMPLETED"):
        reporter.report("0", "j1", JobStatus(JobState[state]))
    reporter.report("1", None, JobStatus(JobState.FAILED, message="sbatch refused"))
    rows = sink.of(MessageType.BLOCK_INFO)
    assert [(r["block_id"], r["status"]) for r in rows] == [
        ("0", "PENDING"),
        ("0", "RUNNING"),
        ("0", "COMPLETED"),
        ("1", "FAILED"),
    ]
    assert rows[0]["job_id"] == "j1" and rows[3]["job_id"] is None
    assert all(r["executor_label"] == "htex" and r["run_id"] == "run" for r in rows)


def test_block_reporter_survives_a_failing_sink(caplog: pytest.LogCaptureFixture) -> None:
    class Failing(MemorySink):
        def send(self, message: object) -> None:
            raise RuntimeError("queue closed")

    reporter = BlockReporter("htex")
    reporter.sink, reporter.run_id = Failing(), "run"
    reporter.report("0", "j", JobStatus(JobState.RUNNING))
    assert "refused a block report" in caplog.text


def test_worker_monitoring_frames_are_the_messages_frames() -> None:
    """The worker's pipe builds MONITORING frames from MONITORING_HEAD: the same bytes as encode()."""
    import os

    from parsl.executors.high_throughput.frame_pipe import read_frame
    from parsl.executors.high_throughput.worker import _ResultPipe

    batch = encode_batch(
        [
            (
                MessageType.BLOCK_INFO,
                {"run_id": "r", "block_id": "0", "status": "RUNNING", "timestamp": 1.0},
            )
        ]
    )
    assert MONITORING_HEAD + batch == Monitoring(payload=batch).encode()
    r, w = os.pipe()
    try:
        pipe = _ResultPipe(w)
        pipe.monitoring(batch, False)  # not final: written at once
        pipe.monitoring(batch, True)  # final, from the task's thread: held for the result
        pipe.result(Result(task_id=3, payload=b"done").encode())
        frames = [decode(read_frame(r) or b"") for _ in range(3)]
    finally:
        os.close(r)
        os.close(w)
    assert [type(f).__name__ for f in frames] == ["Monitoring", "Monitoring", "Result"]
    assert [getattr(f, "payload", None) for f in frames] == [batch, batch, b"done"]

"""MultiprocessingQueueRadio: real spawned processes, a real queue, a workflow reporting through it."""

from __future__ import annotations

import logging
import threading
import time
from pathlib import Path
from typing import Any

import pytest

import parsl
from parsl import python_app
from parsl.config import Config
from parsl.errors import ParslError
from parsl.executors import ThreadPoolExecutor
from parsl.monitoring.memory import MemorySink
from parsl.monitoring.radios import MultiprocessingQueueRadio, RadioConfig
from parsl.monitoring.types import MessageType
from parsl.multiprocessing import SpawnProcess, SpawnQueue

pytestmark = pytest.mark.timeout(60)


def _send_from_child(radio: RadioConfig, n: int) -> None:
    sender = radio.create_sender()
    for i in range(n):
        sender.send((MessageType.RESOURCE_INFO, {"task_id": i, "from": "child"}))


def _receiver_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "parsl-mp-radio-receiver"]


def test_messages_from_spawned_processes_reach_the_sink(sink: MemorySink, tmp_path: Path) -> None:
    radio = MultiprocessingQueueRadio()
    receiver = radio.create_receiver(run_dir=str(tmp_path), resource_msgs=sink)
    procs = [SpawnProcess(target=_send_from_child, args=(radio, 5)) for _ in range(2)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(30)
        assert p.exitcode == 0
    receiver.shutdown()
    # shutdown delivers what was queued before it returns, and stops the thread.
    assert len(sink.messages) == 10
    assert sorted(m[1]["task_id"] for m in sink.messages) == [0, 0, 1, 1, 2, 2, 3, 3, 4, 4]
    assert _receiver_threads() == []
    receiver.shutdown()  # idempotent


def test_a_queue_given_as_resource_msgs_gets_each_message_as_sent(tmp_path: Path) -> None:
    """Parsl's receivers are handed a queue: senders put onto it, nothing encoded or checked."""
    q: Any = SpawnQueue()
    radio = MultiprocessingQueueRadio()
    receiver = radio.create_receiver(run_dir=str(tmp_path), resource_msgs=q)
    message: tuple[MessageType, dict[str, Any]] = (MessageType.RESOURCE_INFO, {})
    radio.create_sender().send(message)
    assert q.get(timeout=10) == message
    receiver.shutdown()
    assert _receiver_threads() == []


def test_a_workflow_reports_through_it(tmp_path: Path) -> None:
    @python_app
    def inc(x: int) -> int:
        return x + 1

    sink = MemorySink(resource_monitoring_enabled=False)
    parsl.load(
        Config(
            executors=[
                ThreadPoolExecutor(
                    label="threads",
                    max_threads=2,
                    remote_monitoring_radio=MultiprocessingQueueRadio(),
                )
            ],
            run_dir=str(tmp_path / "runinfo"),
            monitoring=sink,
        )
    )
    try:
        assert [inc(i).result(timeout=10) for i in range(3)] == [1, 2, 3]
        # the executor's messages go through this radio's receiver, not straight to the sink
        assert len(_receiver_threads()) == 1
    finally:
        parsl.clear()
    states = sorted((m["task_id"], m["task_status_name"]) for m in sink.of(MessageType.TASK_INFO))
    assert states == [(t, s) for t in range(3) for s in ("running", "running_ended")]
    assert _receiver_threads() == []


def test_a_sink_that_refuses_a_message_does_not_stop_the_rest(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    class Picky:
        def __init__(self) -> None:
            self.got: list[object] = []

        def send(self, message: Any) -> None:
            if message[1].get("bad"):
                raise ValueError("no thanks")
            self.got.append(message)

    picky = Picky()
    radio = MultiprocessingQueueRadio()
    receiver = radio.create_receiver(run_dir=str(tmp_path), resource_msgs=picky)
    sender = radio.create_sender()
    with caplog.at_level(logging.ERROR, logger="parsl.monitoring.radios.multiprocessing"):
        sender.send((MessageType.RESOURCE_INFO, {"bad": True}))
        sender.send((MessageType.RESOURCE_INFO, {"n": 2}))
        receiver.shutdown()
    assert picky.got == [(MessageType.RESOURCE_INFO, {"n": 2})]
    assert "the sink refused a message" in caplog.text


def test_bad_use_is_a_clear_error(tmp_path: Path) -> None:
    radio = MultiprocessingQueueRadio()
    with pytest.raises(ParslError, match="no receiver: create_receiver"):
        radio.create_sender()
    with pytest.raises(
        TypeError, match="a queue \\(put\\) or a monitoring sink \\(send\\), not int"
    ):
        radio.create_receiver(run_dir=str(tmp_path), resource_msgs=42)
    with pytest.raises(TypeError, match="atexit_timeout must be a number"):
        MultiprocessingQueueRadio(atexit_timeout="3")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="atexit_timeout must be >= 0"):
        MultiprocessingQueueRadio(atexit_timeout=-1)
    assert repr(MultiprocessingQueueRadio(atexit_timeout=1)) == (
        "MultiprocessingQueueRadio(atexit_timeout=1)"
    )


def test_a_sink_that_never_returns_does_not_hold_up_shutdown(tmp_path: Path) -> None:
    release, entered = threading.Event(), threading.Event()

    class Stuck:
        def send(self, message: Any) -> None:
            entered.set()
            release.wait(30)

    radio = MultiprocessingQueueRadio(atexit_timeout=0.2)
    receiver = radio.create_receiver(run_dir=str(tmp_path), resource_msgs=Stuck())
    radio.create_sender().send((MessageType.RESOURCE_INFO, {"n": 1}))
    assert entered.wait(10)  # the receiver's thread is now inside the stuck sink
    started = time.monotonic()
    receiver.shutdown()
    assert time.monotonic() - started < 5
    release.set()
    for t in _receiver_threads():
        t.join(10)
    assert _receiver_threads() == []

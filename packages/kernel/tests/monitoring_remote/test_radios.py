"""Radios with real sockets on 127.0.0.1 and real directories; the wire format's validation."""

from __future__ import annotations

import json
import logging
import os
import pickle
import socket
from pathlib import Path
from typing import Any

import pytest

from parsl.errors import ConfigurationError, ParslError
from parsl.monitoring.errors import MonitoringRouterStartError, RadioRequiredError
from parsl.monitoring.memory import MemorySink
from parsl.monitoring.radios import (
    WIRE_VERSION,
    FilesystemRadio,
    HTEXRadio,
    RadioMessageError,
    ThreadPoolRadio,
    UDPRadio,
    udp,
)
from parsl.monitoring.radios import htex as htex_radio
from parsl.monitoring.radios.base import MonitoringRadioSender
from parsl.monitoring.radios.udp import UDPRadioSender
from parsl.monitoring.radios.wire import FIELDS, decode_batch, encode_batch
from parsl.monitoring.types import MessageType


def _task_info(task_id: int = 1, state: str = "running") -> tuple[MessageType, dict[str, Any]]:
    body = {"run_id": "r", "task_id": task_id, "try_id": 0, "task_status_name": state}
    return MessageType.TASK_INFO, {**body, "timestamp": 1.5, "hostname": "h"}


# ---------------------------------------------------------------- wire


def test_wire_round_trip() -> None:
    msgs = [_task_info(1), _task_info(2, "running_ended")]
    assert decode_batch(encode_batch(msgs)) == msgs


@pytest.mark.parametrize(
    ("data", "match"),
    [
        (b"\xff\xfe", "invalid UTF-8 JSON"),
        (b"[1, 2]", "no version"),
        (json.dumps({"v": WIRE_VERSION + 1, "messages": []}).encode(), "version 3"),
        (json.dumps({"v": "2", "messages": []}).encode(), "version '2'"),
        (json.dumps({"v": 1}).encode(), "no 'messages' list"),
        (json.dumps({"v": 1, "messages": [["NOPE", {}]]}).encode(), "unknown message type"),
        (json.dumps({"v": 1, "messages": [[1]]}).encode(), r"not a \[type, body\] pair"),
        (json.dumps({"v": 1, "messages": [["TASK_INFO", []]]}).encode(), "must be an object"),
        (json.dumps({"v": 1, "messages": [["TASK_INFO", {"run_id": "r"}]]}).encode(), "lacks"),
        (
            json.dumps({"v": 1, "messages": [["BLOCK_INFO", {"run_id": [1]}]]}).encode(),
            "must be a string, number",
        ),
        (b'{"v": 1, "messages": [["NODE_INFO", {"x": NaN}]]}', "invalid"),
    ],
)
def test_wire_rejects_garbage(data: bytes, match: str) -> None:
    with pytest.raises(RadioMessageError, match=match):
        decode_batch(data)


_RESOURCE = {
    "run_id": "r",
    "task_id": 3,
    "try_id": 0,
    "timestamp": 2.5,
    "resource_monitoring_interval": 1.0,
    "hostname": "h",
    "psutil_process_pid": 42,
    "psutil_cpu_num": 1,
    "psutil_process_status": "running",
    "psutil_process_num_threads": 2,
    "psutil_process_num_ctx_switches_voluntary": 5,
    "psutil_process_num_ctx_switches_involuntary": 6,
    "psutil_process_time_user": 0.25,
    "psutil_process_time_system": 0.125,
    "psutil_process_memory_virtual": 4096,
    "psutil_process_memory_resident": 2048,
    "psutil_process_memory_percent": 0.5,
    "psutil_process_cpu_percent": 12.5,
    "psutil_process_disk_read": 0,
    "psutil_process_disk_write": 512,
    "psutil_process_children_count": 0,
}


def test_worker_messages_travel_positionally_and_decode_to_the_same_dicts() -> None:
    msgs = [
        _task_info(1),
        (MessageType.RESOURCE_INFO, _RESOURCE),
        (MessageType.TASK_INFO, {**_task_info(1)[1], "block_id": "0", "executor_label": "x"}),
    ]
    doc = json.loads(encode_batch(msgs))
    assert doc["v"] == WIRE_VERSION == 2
    assert [type(body) for _, body in doc["messages"]] == [list, list, list]
    assert doc["messages"][1][1] == [_RESOURCE[k] for k in FIELDS[MessageType.RESOURCE_INFO]]
    assert "psutil_process_pid" not in encode_batch(msgs).decode()  # no key on the wire
    assert decode_batch(encode_batch(msgs)) == msgs  # absent optional keys stay absent


def test_every_positional_layout_round_trips() -> None:
    for kind, fields in FIELDS.items():
        body = {f: f"{f}-value" for f in fields}
        assert decode_batch(encode_batch([(kind, body)])) == [(kind, body)]
        assert type(json.loads(encode_batch([(kind, body)]))["messages"][0][1]) is list


def test_a_message_with_other_keys_travels_keyed() -> None:
    extra = (MessageType.TASK_INFO, {**_task_info(1)[1], "note": "not a column"})
    workflow = (MessageType.WORKFLOW_INFO, {"run_id": "r", "x": 1})
    doc = json.loads(encode_batch([extra, workflow]))
    assert [type(body) for _, body in doc["messages"]] == [dict, dict]
    assert decode_batch(encode_batch([extra, workflow])) == [extra, workflow]


def test_a_version_1_batch_still_decodes() -> None:
    data = json.dumps({"v": 1, "messages": [["TASK_INFO", _task_info(5)[1]]]}).encode()
    assert decode_batch(data) == [_task_info(5)]


def _positional(kind: str, values: list[object], v: int = WIRE_VERSION) -> bytes:
    return json.dumps({"v": v, "messages": [[kind, values]]}).encode()


_TASK_VALUES: list[object] = ["r", 1, 0, "running", 1.5, "h", None, None]


@pytest.mark.parametrize(
    ("data", "match"),
    [
        (_positional("TASK_INFO", _TASK_VALUES[:-1]), "has 7 values, expected 8"),
        (_positional("TASK_INFO", [*_TASK_VALUES, "x"]), "has 9 values, expected 8"),
        (
            _positional("TASK_INFO", ["r", None, 0, None, 1.5, "h", None, None]),
            r"lacks \['task_id', 'task_status_name'\]",
        ),
        (
            _positional("TASK_INFO", ["r", 1, 0, "running", 1.5, {"h": 1}, None, None]),
            "TASK_INFO.hostname must be a string",
        ),
        (_positional("WORKFLOW_INFO", ["r"]), "WORKFLOW_INFO body must be an object"),
        (_positional("TASK_INFO", _TASK_VALUES, v=1), "must be an object"),
        (_positional("TASK_INFO", "r"), "must be an object or an array"),  # type: ignore[arg-type]
    ],
)
def test_positional_bodies_are_checked(data: bytes, match: str) -> None:
    with pytest.raises(RadioMessageError, match=match):
        decode_batch(data)


def test_positional_nulls_are_absent_keys() -> None:
    ((kind, body),) = decode_batch(_positional("TASK_INFO", _TASK_VALUES))
    assert kind is MessageType.TASK_INFO
    assert body == {
        "run_id": "r",
        "task_id": 1,
        "try_id": 0,
        "task_status_name": "running",
        "timestamp": 1.5,
        "hostname": "h",
    }


def test_encode_rejects_bad_messages() -> None:
    with pytest.raises(RadioMessageError, match="not a"):
        encode_batch([("TASK_INFO", {})])  # type: ignore[list-item]
    with pytest.raises(RadioMessageError, match="must be a dict"):
        encode_batch([(MessageType.TASK_INFO, [])])  # type: ignore[list-item]
    with pytest.raises(RadioMessageError, match="lacks"):
        encode_batch([(MessageType.BLOCK_INFO, {"run_id": "r"})])
    with pytest.raises(RadioMessageError, match="lacks"):  # keyed (an extra key), still checked
        encode_batch([(MessageType.BLOCK_INFO, {"run_id": "r", "note": "x"})])
    with pytest.raises(RadioMessageError, match=r"lacks \['task_id'\]"):  # None: no value
        encode_batch([(MessageType.TASK_INFO, {**_task_info(1)[1], "task_id": None})])
    with pytest.raises(RadioMessageError, match="keys must be"):
        encode_batch([(MessageType.WORKFLOW_INFO, {"run_id": "r", (1,): 2})])  # type: ignore[dict-item]
    with pytest.raises(RadioMessageError, match="not JSON compliant"):
        encode_batch([(MessageType.WORKFLOW_INFO, {"run_id": "r", "t": float("inf")})])
    with pytest.raises(RadioMessageError, match="not JSON serializable"):
        encode_batch([(MessageType.WORKFLOW_INFO, {"run_id": "r", "t": object()})])


def test_nested_values_are_refused_by_the_receiver() -> None:
    data = encode_batch([(MessageType.WORKFLOW_INFO, {"run_id": "r", "t": [1]})])
    with pytest.raises(RadioMessageError, match="must be a string, number"):
        decode_batch(data)


# ---------------------------------------------------------------- UDP


def test_udp_round_trip_over_real_socket(sink: MemorySink, tmp_path: Path) -> None:
    radio = UDPRadio()
    receiver = radio.create_receiver(run_dir=str(tmp_path), resource_msgs=sink)
    try:
        assert radio.address == "127.0.0.1" and radio.port == receiver.port
        worker_side = pickle.loads(pickle.dumps(radio))  # as it travels with a task
        sender = worker_side.create_sender()
        sender.send(_task_info(1))
        sender.send_many([_task_info(2), _task_info(3)])
        sink.wait_for(lambda: len(sink.messages) == 3)
        sender.close()
    finally:
        receiver.shutdown()
    assert [m["task_id"] for _, m in sink.messages] == [1, 2, 3]
    receiver.shutdown()  # idempotent


def test_udp_uses_hub_address(sink: MemorySink, tmp_path: Path) -> None:
    radio = UDPRadio()
    receiver = radio.create_receiver(
        run_dir=str(tmp_path), resource_msgs=sink, hub_address="127.0.0.1"
    )
    receiver.shutdown()
    assert radio.address == "127.0.0.1"


def test_udp_drops_garbage_and_forged_datagrams(sink: MemorySink, tmp_path: Path) -> None:
    radio = UDPRadio(address="127.0.0.1")
    receiver = radio.create_receiver(run_dir=str(tmp_path), resource_msgs=sink)
    raw = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        raw.sendto(b"garbage", ("127.0.0.1", receiver.port))
        raw.sendto(b"\0" * 64 + encode_batch([_task_info(9)]), ("127.0.0.1", receiver.port))
        import hashlib
        import hmac

        assert radio.hmac_key is not None
        bad = b"not json"
        mac = hmac.new(radio.hmac_key, bad, hashlib.sha512).digest()
        raw.sendto(mac + bad, ("127.0.0.1", receiver.port))
        good = radio.create_sender()
        good.send(_task_info(1))
        sink.wait_for(lambda: len(sink.messages) == 1)
        sink.wait_for(lambda: receiver.dropped == 3)
        good.close()
        assert receiver._thread.is_alive()
    finally:
        raw.close()
        receiver.shutdown()
    assert [m["task_id"] for _, m in sink.messages] == [1]


def test_udp_port_in_use_is_a_clear_error(sink: MemorySink, tmp_path: Path) -> None:
    taken = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    taken.bind(("127.0.0.1", 0))
    try:
        radio = UDPRadio(port=taken.getsockname()[1])
        # Parsl's name for a receiver that cannot start, under ParslError like every error here.
        with pytest.raises(MonitoringRouterStartError, match="cannot listen on 127.0.0.1"):
            radio.create_receiver(run_dir=str(tmp_path), resource_msgs=sink)
    finally:
        taken.close()


def test_udp_sender_before_receiver_is_a_clear_error() -> None:
    with pytest.raises(ParslError, match="no receiver yet"):
        UDPRadio().create_sender()


def test_udp_oversized_batch_is_refused(sink: MemorySink, tmp_path: Path) -> None:
    radio = UDPRadio()
    receiver = radio.create_receiver(run_dir=str(tmp_path), resource_msgs=sink)
    try:
        kind, body = _task_info()
        with pytest.raises(RadioMessageError, match="do not fit"):
            sender = radio.create_sender()
            try:
                sender.send((kind, {**body, "big": "x" * 70000}))
            finally:
                sender.close()
    finally:
        receiver.shutdown()


@pytest.mark.parametrize(
    "kwargs",
    [
        {"port": -1},
        {"port": "55"},
        {"port": True},
        {"address": ""},
        {"atexit_timeout": -1},
        {"atexit_timeout": float("nan")},
        {"atexit_timeout": "3"},
        {"hmac_digest": "nope"},
        {"debug": "yes"},
    ],
)
def test_udp_bad_arguments(kwargs: dict[str, Any]) -> None:
    with pytest.raises(ConfigurationError, match="UDPRadio"):
        UDPRadio(**kwargs)


def test_udp_shutdown_wakes_the_receiver_instead_of_waiting_for_its_poll(
    sink: MemorySink, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A poll far longer than atexit_timeout: only the wake-up datagram can end the thread in time.
    monkeypatch.setattr(udp, "_POLL_S", 120.0)
    radio = UDPRadio(atexit_timeout=10)
    receiver = radio.create_receiver(run_dir=str(tmp_path), resource_msgs=sink)
    sender = radio.create_sender()
    sender.send(_task_info(1))
    sender.send(_task_info(2))
    sink.wait_for(lambda: len(sink.messages) == 2)
    sender.close()
    receiver.shutdown()  # the thread is now blocked in a receive of up to 120 s
    assert not receiver._thread.is_alive()
    assert receiver.sock.fileno() == -1  # the thread closed it
    assert [m["task_id"] for _, m in sink.messages] == [1, 2]
    assert receiver.dropped == 0  # the empty wake-up datagram is not a bad one


def test_udp_atexit_timeout_zero_does_not_wait(
    sink: MemorySink, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    radio = UDPRadio(address="localhost", atexit_timeout=0)  # as Parsl's own tests write it
    receiver = radio.create_receiver(run_dir=str(tmp_path), resource_msgs=sink)
    sender = radio.create_sender()
    sender.send(_task_info(1))
    sink.wait_for(lambda: len(sink.messages) == 1)
    sender.close()
    receiver.shutdown()
    receiver._thread.join(10)
    assert not receiver._thread.is_alive()
    assert receiver.sock.fileno() == -1
    assert "did not stop" not in caplog.text


def test_udp_debug_logs_each_accepted_batch(
    sink: MemorySink, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="parsl.monitoring.radios.udp")
    radio = UDPRadio(debug=True)
    receiver = radio.create_receiver(run_dir=str(tmp_path), resource_msgs=sink)
    try:
        assert radio.hmac_key is not None and radio.address is not None
        assert radio.port is not None
        # Parsl's keyword names for the sender.
        sender = UDPRadioSender(
            radio.address, radio.port, hmac_key=radio.hmac_key, hmac_digest="sha512", timeout=5
        )
        sender.send_many([_task_info(1), _task_info(2)])
        sink.wait_for(lambda: len(sink.messages) == 2)
        sender.close()
    finally:
        receiver.shutdown()
    assert f"UDP radio port {radio.port}: 2 message(s): TASK_INFO, TASK_INFO" in caplog.text
    quiet = UDPRadio()
    assert quiet.debug is False


# ---------------------------------------------------------------- filesystem


def test_filesystem_round_trip(sink: MemorySink, tmp_path: Path) -> None:
    radio = FilesystemRadio(poll_interval=0.05)
    receiver = radio.create_receiver(run_dir=str(tmp_path), resource_msgs=sink)
    try:
        assert radio.directory is not None
        assert radio.directory.startswith(str(tmp_path / "monitor-fs-radio"))
        sender = pickle.loads(pickle.dumps(radio)).create_sender()
        sender.send(_task_info(1))
        sender.send_many([_task_info(2), _task_info(3)])
        sink.wait_for(lambda: len(sink.messages) == 3)
        assert os.listdir(os.path.join(radio.directory, "new")) == []
        assert os.listdir(os.path.join(radio.directory, "tmp")) == []
    finally:
        receiver.shutdown()
    assert sorted(m["task_id"] for _, m in sink.messages) == [1, 2, 3]


def test_filesystem_delivers_files_written_before_shutdown(
    sink: MemorySink, tmp_path: Path
) -> None:
    radio = FilesystemRadio(poll_interval=60)
    receiver = radio.create_receiver(run_dir=str(tmp_path), resource_msgs=sink)
    radio.create_sender().send(_task_info(5))
    receiver.shutdown()  # the last scan picks the file up
    assert [m["task_id"] for _, m in sink.messages] == [5]


def test_filesystem_atexit_timeout_zero_loses_nothing(sink: MemorySink, tmp_path: Path) -> None:
    radio = FilesystemRadio(poll_interval=60, atexit_timeout=0)
    receiver = radio.create_receiver(run_dir=str(tmp_path), resource_msgs=sink)
    assert radio.directory is not None
    sender = radio.create_sender()
    for task_id in range(20):
        sender.send(_task_info(task_id))
    receiver.shutdown()  # does not wait for the last scan
    receiver._thread.join(10)
    assert not receiver._thread.is_alive()
    # Each batch either reached the sink or is still a file in new/, never both or neither.
    delivered = [m["task_id"] for _, m in sink.messages]
    left = os.listdir(os.path.join(radio.directory, "new"))
    assert len(delivered) + len(left) == 20
    assert len(set(delivered)) == len(delivered)


def test_filesystem_moves_garbage_aside(sink: MemorySink, tmp_path: Path) -> None:
    radio = FilesystemRadio(poll_interval=60)
    receiver = radio.create_receiver(run_dir=str(tmp_path), resource_msgs=sink)
    try:
        assert radio.directory is not None
        Path(radio.directory, "new", "junk").write_bytes(b"\x00garbage")
        radio.create_sender().send(_task_info(1))
        assert receiver.poll_once() == 1
        assert receiver.dropped == 1
        assert os.listdir(os.path.join(radio.directory, "bad")) == ["junk"]
        assert receiver.poll_once() == 0
    finally:
        receiver.shutdown()


def test_filesystem_two_receivers_do_not_share(tmp_path: Path) -> None:
    a, b = MemorySink(), MemorySink()
    ra, rb = FilesystemRadio(poll_interval=60), FilesystemRadio(poll_interval=60)
    rx_a = ra.create_receiver(run_dir=str(tmp_path), resource_msgs=a)
    rx_b = rb.create_receiver(run_dir=str(tmp_path), resource_msgs=b)
    ra.create_sender().send(_task_info(1))
    rb.create_sender().send(_task_info(2))
    rx_a.shutdown()
    rx_b.shutdown()
    assert [m["task_id"] for _, m in a.messages] == [1]
    assert [m["task_id"] for _, m in b.messages] == [2]


def test_filesystem_errors(tmp_path: Path, sink: MemorySink) -> None:
    with pytest.raises(ConfigurationError, match="poll_interval"):
        FilesystemRadio(poll_interval=0)
    with pytest.raises(ConfigurationError, match="atexit_timeout"):
        FilesystemRadio(atexit_timeout=-1)
    with pytest.raises(ConfigurationError, match="poll_interval"):
        FilesystemRadio(poll_interval=float("inf"))
    with pytest.raises(ParslError, match="no receiver yet"):
        FilesystemRadio().create_sender()
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(MonitoringRouterStartError, match="cannot create"):
        FilesystemRadio().create_receiver(run_dir=str(blocker), resource_msgs=sink)


# ---------------------------------------------------------------- htex / thread pool


def test_htex_radio_uses_the_installed_channel() -> None:
    frames: list[tuple[bytes, bool]] = []
    radio = HTEXRadio()
    with pytest.raises(ParslError, match="only works inside a HighThroughputExecutor worker"):
        radio.create_sender()
    htex_radio.install_channel(lambda batch, final: frames.append((batch, final)))
    try:
        sender = radio.create_sender()
        sender.send(_task_info(1))
        sender.send_many([_task_info(2), _task_info(3)])
        sender.send_many([_task_info(4)], final=True)
    finally:
        htex_radio.install_channel(None)
    assert [(len(decode_batch(f)), final) for f, final in frames] == [
        (1, False),
        (2, False),
        (1, True),
    ]
    radio.create_receiver(run_dir=".", resource_msgs=MemorySink()).shutdown()


def test_thread_pool_radio(sink: MemorySink) -> None:
    radio = ThreadPoolRadio()
    with pytest.raises(ParslError, match="no receiver"):
        radio.create_sender()
    radio.create_receiver(run_dir=".", resource_msgs=sink)
    radio.create_sender().send(_task_info(4))
    assert sink.messages == [_task_info(4)]
    with pytest.raises(ParslError, match="only works in the submitting process"):
        pickle.dumps(radio)


# ---------------------------------------------------------------- positional sending


def test_encode_values_makes_the_batch_encode_batch_makes_of_the_dicts(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from parsl.monitoring.radios import wire
    from parsl.monitoring.radios.wire import as_body, encode_values
    from parsl.monitoring.resource_sampler import process_sampler

    sampler = process_sampler()
    radio = ThreadPoolRadio()
    radio.create_receiver(run_dir=".", resource_msgs=MemorySink())
    sender = radio.create_sender()
    sampler.register(("r", 1, 0), ("r", 1, 0, 1.0), sender, 30.0)
    _, sample = sampler.finish(("r", 1, 0))  # a real sample: ints, floats, strings
    values = [
        (MessageType.TASK_INFO, ["r", 1, 0, "running", 1.5, "h", "htex", None]),
        (MessageType.RESOURCE_INFO, sample),
        (MessageType.TASK_INFO, ["r", 1, 0, "running_ended", 2.5, "h", "htex", "0"]),
    ]
    dicts = [(kind, as_body(kind, v)) for kind, v in values]
    assert decode_batch(encode_values(values)) == dicts  # with orjson, when installed
    monkeypatch.setattr(wire, "_FAST_DUMPS", None)
    assert encode_values(values) == encode_batch(dicts)  # the standard library: the same bytes


def _doc(*values: list[Any]) -> list[tuple[MessageType, list[Any]]]:
    return [(MessageType.TASK_INFO, list(v)) for v in values]


def test_encode_values_writes_with_orjson_when_installed() -> None:
    from parsl.monitoring.radios.wire import encode_values

    orjson = pytest.importorskip("orjson")  # the fast extra; tools/setup-env installs it

    messages = _doc(["r", 1, 0, "running", 1e-05, "h", "htex", None])
    data = encode_values(messages)
    assert data == orjson.dumps({"v": 2, "messages": [["TASK_INFO", messages[0][1]]]})
    assert b"0.00001" in data  # orjson's spelling: the standard library writes 1e-05
    assert decode_batch(data)[0][1]["timestamp"] == 1e-05


@pytest.mark.parametrize(
    ("values", "kept"),
    [
        (["r", 1, 0, "running", 1.5, "nullhost", "htex", None], "nullhost"),  # "null" in a string
        (["r", 2**70, 0, "running", 1.5, "h", "htex", None], 2**70),  # beyond orjson's 64 bits
        (["r", 1, 0, "running", 1.5, "h\ud800", "htex", None], "h\ud800"),  # lone surrogate
    ],
)
def test_encode_values_leaves_to_the_standard_library_what_orjson_writes_otherwise(
    values: list[Any], kept: Any
) -> None:
    from parsl.monitoring.radios.wire import encode_values

    body = decode_batch(encode_values(_doc(values)))[0][1]
    assert kept in body.values()


@pytest.mark.parametrize("bad", [float("inf"), float("-inf"), float("nan")])
def test_encode_values_refuses_what_orjson_would_write_as_null(bad: float) -> None:
    from parsl.monitoring.radios.wire import encode_values

    with pytest.raises(RadioMessageError, match="not JSON"):
        encode_values(
            _doc(["r", 1, 0, "running", 1.5, "h", "htex", None], ["r", 1, 0, "x", bad] + [None] * 3)
        )


def test_without_orjson_the_standard_library_writes(monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    from parsl.monitoring.radios import wire

    monkeypatch.setitem(sys.modules, "orjson", None)  # import orjson now raises ImportError
    assert wire._orjson_dumps() is None


@pytest.mark.parametrize(
    ("messages", "match"),
    [
        ([(MessageType.TASK_INFO, ["r", 1, 0, "running", 1.5])], "must be a list of 8"),
        (
            [(MessageType.TASK_INFO, ("r", 1, 0, "running", 1.5, None, None, None))],
            "must be a list",
        ),
        ([(MessageType.TASK_INFO, ["r", None, 0, "running", 1.5, None, None, None])], "lacks"),
        ([(MessageType.WORKFLOW_INFO, ["r"])], "no positional layout"),
        ([("TASK_INFO", ["r", 1, 0, "running", 1.5, None, None, None])], "no positional layout"),
        (
            [(MessageType.TASK_INFO, ["r", 1, 0, "running", float("nan"), None, None, None])],
            "not JSON",
        ),
    ],
)
def test_encode_values_refuses_bad_messages(messages: Any, match: str) -> None:
    from parsl.monitoring.radios.wire import encode_values

    with pytest.raises(RadioMessageError, match=match):
        encode_values(messages)


def test_a_plain_sender_gets_positional_messages_as_dicts(sink: MemorySink) -> None:
    calls: list[tuple[str, int, bool]] = []

    class Plain(MonitoringRadioSender):
        def send(self, message: Any) -> None:
            calls.append(("send", 1, False))
            sink.send(message)

        def send_many(self, messages: Any, *, final: bool = False) -> None:
            messages = list(messages)
            calls.append(("send_many", len(messages), final))
            for m in messages:
                sink.send(m)

    running = (MessageType.TASK_INFO, ["r", 1, 0, "running", 1.5, "h", None, None])
    Plain().send_values([running])
    Plain().send_values([running], final=True)
    assert calls == [("send", 1, False), ("send_many", 1, True)]
    body = {
        "run_id": "r",
        "task_id": 1,
        "try_id": 0,
        "task_status_name": "running",
        "timestamp": 1.5,
    }
    assert sink.of(MessageType.TASK_INFO) == [{**body, "hostname": "h"}] * 2  # no None values


def test_parsls_monitoring_errors_import_under_parsls_path_with_parsls_texts() -> None:
    assert issubclass(MonitoringRouterStartError, ParslError)
    assert issubclass(RadioRequiredError, ParslError)
    assert str(MonitoringRouterStartError()) == "Monitoring router failed to start"
    assert str(RadioRequiredError()) == "A radio must be configured for remote task monitoring"
    assert str(MonitoringRouterStartError("UDPRadio cannot listen")) == "UDPRadio cannot listen"

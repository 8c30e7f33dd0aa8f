"""The htex wire protocol: round trips, frame layout, clear errors for bad frames, version checks."""

from __future__ import annotations

import json
import pickle
import struct
import sys
import time
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from parsl.errors import ParslError
from parsl.executors.high_throughput import errors
from parsl.executors.high_throughput.errors import (
    MalformedMessage,
    ManagerLost,
    ProtocolError,
    ProtocolVersionMismatch,
    VersionMismatch,
    WorkerLost,
)
from parsl.executors.high_throughput.protocol import (
    MAGIC,
    PROTOCOL_VERSION,
    Accepted,
    Command,
    Drain,
    Drained,
    Heartbeat,
    ManagerRefused,
    Message,
    Monitoring,
    Reclaim,
    Reclaimed,
    Register,
    Rejected,
    Reply,
    Result,
    Shutdown,
    Task,
    TaskFailed,
    TaskLost,
    WorkerReady,
    check_compatible,
    decode,
    local_versions,
    message_kinds,
)

PY = ".".join(map(str, sys.version_info[:3]))  # as Parsl reports it: major.minor.micro


def register(**overrides: Any) -> Register:
    fields: dict[str, Any] = {
        "manager_id": "m-1",
        "block_id": "7",
        "hostname": "node01",
        "worker_count": 4,
        "prefetch_capacity": 2,
        **local_versions(),
    }
    fields.update(overrides)
    return Register(**fields)


SAMPLES: list[Message] = [
    register(),
    register(block_id=None, worker_count=0, prefetch_capacity=0),
    register(lookahead=4),
    Accepted(manager_id="m-1"),
    Rejected(manager_id="m-1", reason="Python 3.10 vs 3.11"),
    Heartbeat(manager_id="m-1"),
    Task(task_id=0, priority=None, resource_spec={}, payload=b""),
    Task(
        task_id=12,
        priority=-3,
        resource_spec={"num_ranks": 4, "tags": ["a", None, True], "x": {"y": 1.5}},
        payload=b"\x00\xff" * 100,
    ),
    Task(task_id=1, priority=2.5, resource_spec={"é": "ü"}, payload=b"PHTX"),
    Result(task_id=3, payload=b"result bytes"),
    Result(task_id=3, payload=b""),
    TaskLost(task_id=9, reason="worker 3 exited with code -9"),
    Drain(manager_id="m-2"),
    Drained(manager_id="m-2"),
    Shutdown(reason="executor shutting down"),
    WorkerReady(worker_id="w-0", pid=1234),
    TaskFailed(task_id=4, error="WorkerLost", manager_id="m-1", reason="killed by SIGKILL"),
    TaskFailed(
        task_id=5, error="ManagerLost", manager_id="m-1", reason="no heartbeat", hostname="n1"
    ),
    ManagerRefused(manager_id="m-3", hostname="node9", mismatches={"Python": ["3.10", "3.11"]}),
    Command(request_id=1, op="managers", args={}),
    Reply(request_id=1, result={"managers": [{"id": "m-1", "tasks": 2}]}, error=None),
    Reply(request_id=2, result={}, error="unknown op 'x'"),
    Monitoring(payload=b'{"v":1,"messages":[]}'),
    Reclaim(count=2),
    Reclaimed(manager_id="m-1", task_ids=[]),
    Reclaimed(manager_id="m-1", task_ids=[7, 3]),
]


def frame(header: Any, payload: bytes = b"", version: int = PROTOCOL_VERSION) -> bytes:
    raw = header if isinstance(header, bytes) else json.dumps(header).encode()
    return MAGIC + struct.pack(">HI", version, len(raw)) + raw + payload


# ---------------------------------------------------------------- round trips


@pytest.mark.parametrize("message", SAMPLES, ids=lambda m: type(m).__name__)
def test_every_sample_round_trips(message: Message) -> None:
    decoded = decode(message.encode())
    assert type(decoded) is type(message)
    assert decoded == message


def test_samples_cover_every_kind() -> None:
    assert {m.kind for m in SAMPLES} == set(message_kinds())
    assert set(message_kinds()) == {
        "REGISTER",
        "ACCEPTED",
        "REJECTED",
        "HEARTBEAT",
        "TASK",
        "RESULT",
        "TASK_LOST",
        "DRAIN",
        "DRAINED",
        "SHUTDOWN",
        "WORKER_READY",
        "TASK_FAILED",
        "MANAGER_REFUSED",
        "COMMAND",
        "REPLY",
        "MONITORING",
        "RECLAIM",
        "RECLAIMED",
    }


def test_frame_layout_is_magic_version_length_header_payload() -> None:
    data = Result(task_id=5, payload=b"abc").encode()
    magic, version, length = struct.unpack_from(">4sHI", data)
    assert (magic, version) == (b"PHTX", PROTOCOL_VERSION)
    header = json.loads(data[10 : 10 + length])
    assert header == {"kind": "RESULT", "task_id": 5}
    assert data[10 + length :] == b"abc"


@pytest.mark.parametrize("wrap", [bytes, bytearray, memoryview])
def test_decode_accepts_bytes_like(wrap: Any) -> None:
    message = Heartbeat(manager_id="m")
    assert decode(wrap(message.encode())) == message


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=5), children, max_size=4)
    ),
    max_leaves=20,
)


@given(
    task_id=st.integers(min_value=0, max_value=2**63),
    priority=st.none() | st.integers() | st.floats(allow_nan=False, allow_infinity=False),
    resource_spec=st.dictionaries(st.text(), json_values, max_size=5),
    payload=st.binary(max_size=300),
)
def test_any_task_round_trips(
    task_id: int, priority: float | None, resource_spec: dict[str, Any], payload: bytes
) -> None:
    task = Task(task_id=task_id, priority=priority, resource_spec=resource_spec, payload=payload)
    assert decode(task.encode()) == task


@given(
    manager_id=st.text(), hostname=st.text(), block=st.none() | st.text(), n=st.integers(0, 10**6)
)
def test_any_register_round_trips(
    manager_id: str, hostname: str, block: str | None, n: int
) -> None:
    reg = register(manager_id=manager_id, hostname=hostname, block_id=block, worker_count=n)
    assert decode(reg.encode()) == reg


# ------------------------------------------------------------- decode errors


@pytest.mark.parametrize("not_bytes", ["PHTX", None, 42, [b"PHTX"]])
def test_decode_rejects_non_bytes(not_bytes: Any) -> None:
    with pytest.raises(MalformedMessage, match="frame must be bytes"):
        decode(not_bytes)


@pytest.mark.parametrize("data", [b"", b"PHTX", b"PHTX\x00\x01\x00\x00\x00"])
def test_decode_rejects_frames_shorter_than_the_prefix(data: bytes) -> None:
    with pytest.raises(MalformedMessage, match="shorter than the 10-byte prefix"):
        decode(data)


def test_decode_rejects_wrong_magic() -> None:
    data = b"GET / HTTP/1.1\r\n\r\n"
    with pytest.raises(MalformedMessage, match="not a HighThroughputExecutor message"):
        decode(data)


@pytest.mark.parametrize("other", [0, PROTOCOL_VERSION + 1, 65535])
def test_decode_rejects_other_protocol_versions_with_both_versions(other: int) -> None:
    data = frame({"kind": "HEARTBEAT", "manager_id": "m"}, version=other)
    with pytest.raises(ProtocolVersionMismatch) as info:
        decode(data)
    text = str(info.value)
    assert f"protocol version {other} on the sender" in text
    assert f"vs {PROTOCOL_VERSION} on this process" in text
    assert (info.value.remote_version, info.value.local_version) == (other, PROTOCOL_VERSION)
    assert isinstance(info.value, VersionMismatch)
    assert isinstance(info.value, ProtocolError)


def test_decode_rejects_other_versions_even_if_the_header_is_garbage() -> None:
    with pytest.raises(ProtocolVersionMismatch):
        decode(MAGIC + struct.pack(">HI", PROTOCOL_VERSION + 1, 3) + b"\xff\xfe\xfd")


def test_decode_rejects_truncated_header() -> None:
    data = Heartbeat(manager_id="m").encode()
    with pytest.raises(MalformedMessage, match="truncated"):
        decode(data[:-1])


@pytest.mark.parametrize(
    ("header", "match"),
    [
        (b"\xff\xfe", "not valid UTF-8 JSON"),
        (b"{not json", "not valid UTF-8 JSON"),
        (b'{"kind": "TASK", "task_id": NaN}', "NaN is not allowed"),
        (b'{"kind": "TASK", "priority": Infinity}', "Infinity is not allowed"),
        (b"[" * 100_000, "not valid UTF-8 JSON"),
        (b'["HEARTBEAT"]', "must be a JSON object, got list"),
        (b'"HEARTBEAT"', "must be a JSON object, got str"),
        (b'{"manager_id": "m"}', "unknown message kind None"),
        (b'{"kind": "FROBNICATE"}', "unknown message kind 'FROBNICATE'"),
        (b'{"kind": ["TASK"]}', r"unknown message kind \['TASK'\]"),
        (b'{"kind": "HEARTBEAT"}', r"missing fields \['manager_id'\]"),
        (b'{"kind": "HEARTBEAT", "manager_id": "m", "x": 1}', r"unexpected \['x'\]"),
        (b'{"kind": "RESULT", "task_id": 1, "payload": "x"}', r"unexpected \['payload'\]"),
        (b'{"kind": "HEARTBEAT", "manager_id": 7}', "HEARTBEAT.manager_id must be str, got int"),
        (b'{"kind": "RESULT", "task_id": "1"}', "RESULT.task_id must be int, got str"),
        (b'{"kind": "RESULT", "task_id": true}', "RESULT.task_id must be int, got bool"),
        (b'{"kind": "RESULT", "task_id": 1.0}', "RESULT.task_id must be int, got float"),
        (b'{"kind": "RESULT", "task_id": -1}', "RESULT.task_id must be >= 0"),
        (b'{"kind": "RESULT", "task_id": null}', "RESULT.task_id must be int, got NoneType"),
    ],
)
def test_decode_rejects_bad_headers_clearly(header: bytes, match: str) -> None:
    with pytest.raises(MalformedMessage, match=match):
        decode(frame(header))


def test_decode_rejects_trailing_bytes_on_kinds_without_payload() -> None:
    data = Heartbeat(manager_id="m").encode() + b"junk"
    with pytest.raises(MalformedMessage, match="HEARTBEAT carries no payload, but 4 bytes follow"):
        decode(data)


def test_decode_rejects_non_finite_numbers_inside_resource_spec() -> None:
    header = b'{"kind":"TASK","task_id":1,"priority":null,"resource_spec":{"n":1e400}}'
    with pytest.raises(MalformedMessage, match="TASK.resource_spec must be dict"):
        decode(frame(header))


def test_decode_rejects_over_deep_resource_spec() -> None:
    spec: Any = 1
    for _ in range(40):
        spec = [spec]
    header = {"kind": "TASK", "task_id": 1, "priority": None, "resource_spec": {"deep": spec}}
    with pytest.raises(MalformedMessage, match="resource_spec"):
        decode(frame(header))


def test_error_text_is_bounded_for_huge_values() -> None:
    header = {"kind": "HEARTBEAT", "manager_id": ["x" * 10_000]}
    with pytest.raises(MalformedMessage) as info:
        decode(frame(header))
    assert len(str(info.value)) < 200


@settings(max_examples=300)
@given(st.binary(max_size=200))
def test_arbitrary_bytes_never_raise_anything_but_protocol_errors(data: bytes) -> None:
    try:
        result = decode(data)
    except ProtocolError:
        return
    assert isinstance(result, Message)


@settings(max_examples=300)
@given(
    st.sampled_from(SAMPLES),
    st.integers(min_value=0, max_value=400),
    st.integers(min_value=0, max_value=255),
)
def test_corrupted_frames_decode_or_raise_protocol_errors(
    message: Message, position: int, value: int
) -> None:
    data = bytearray(message.encode())
    data[position % len(data)] = value
    for candidate in (bytes(data), bytes(data[: position % len(data)])):
        try:
            result = decode(candidate)
        except ProtocolError:
            continue
        assert isinstance(result, Message)


# ------------------------------------------------------- construction checks


@pytest.mark.parametrize(
    ("build", "match"),
    [
        (lambda: Task(task_id=-1, priority=None, resource_spec={}, payload=b""), "task_id"),
        (lambda: Task(task_id=1, priority=float("nan"), resource_spec={}, payload=b""), "priority"),
        (lambda: Task(task_id=1, priority=float("inf"), resource_spec={}, payload=b""), "priority"),
        (lambda: Task(task_id=1, priority="high", resource_spec={}, payload=b""), "priority"),  # type: ignore[arg-type]
        (
            lambda: Task(task_id=1, priority=1, resource_spec={"t": (1, 2)}, payload=b""),
            "resource_spec",
        ),
        (lambda: Task(task_id=1, priority=1, resource_spec={1: 2}, payload=b""), "resource_spec"),  # type: ignore[dict-item]
        (
            lambda: Task(task_id=1, priority=1, resource_spec={"x": object()}, payload=b""),
            "resource_spec",
        ),
        (lambda: Task(task_id=1, priority=1, resource_spec=[], payload=b""), "resource_spec"),  # type: ignore[arg-type]
        (lambda: Task(task_id=1, priority=1, resource_spec={}, payload=bytearray()), "payload"),  # type: ignore[arg-type]
        (lambda: Result(task_id=True, payload=b""), "task_id must be int, got bool"),
        (lambda: register(worker_count=-1), "worker_count must be >= 0"),
        (lambda: register(prefetch_capacity=-2), "prefetch_capacity must be >= 0"),
        (lambda: register(lookahead=-1), "lookahead must be >= 0"),
        (lambda: Reclaim(count=-1), "RECLAIM.count must be >= 0"),
        (lambda: Reclaimed(manager_id="m", task_ids=(1,)), r"task_ids must be list\[int\]"),  # type: ignore[arg-type]
        (lambda: Reclaimed(manager_id="m", task_ids=[1, "2"]), r"task_ids must be list\[int\]"),  # type: ignore[list-item]
        (lambda: Reclaimed(manager_id="m", task_ids=[True]), r"task_ids must be list\[int\]"),
        (lambda: Reclaimed(manager_id="m", task_ids=[-4]), "task_ids must be ints >= 0"),
        (lambda: register(python_version="3"), "python_version must look like '3.11.7'"),
        (lambda: register(python_version="3.11.7.1"), "python_version"),
        (lambda: register(python_version="three.eleven"), "python_version"),
        (lambda: register(block_id=3), "block_id must be str or NoneType"),
        (lambda: Shutdown(reason=None), "SHUTDOWN.reason must be str"),  # type: ignore[arg-type]
        (
            lambda: TaskFailed(task_id=1, error="Oops", manager_id="m", reason="r"),
            "TASK_FAILED.error must be one of",
        ),
        (lambda: Command(request_id=1, op="x", args={"a": {1, 2}}), "COMMAND.args"),
    ],
)
def test_invalid_fields_are_refused_at_construction(build: Any, match: str) -> None:
    with pytest.raises(MalformedMessage, match=match):
        build()


def test_messages_are_immutable() -> None:
    message = Heartbeat(manager_id="m")
    with pytest.raises(AttributeError):
        message.manager_id = "other"  # type: ignore[misc]


# ------------------------------------------------------------ compatibility


def test_registration_from_this_process_is_compatible() -> None:
    reg = Register.for_this_process(
        manager_id="m", block_id=None, hostname="h", worker_count=1, prefetch_capacity=0
    )
    assert reg.protocol_version == PROTOCOL_VERSION
    assert reg.python_version == PY
    assert check_compatible(reg) is None


def test_local_versions_name_the_installed_packages() -> None:
    from importlib.metadata import version

    versions = local_versions()
    assert versions["package_version"] == version("parsl-executors")
    assert versions["kernel_version"] == version("parsl-kernel")
    assert versions["python_version"] == PY


def test_python_micro_version_may_differ() -> None:
    major_minor = ".".join(map(str, sys.version_info[:2]))
    assert check_compatible(register(python_version=f"{major_minor}.999")) is None
    assert check_compatible(register(python_version=major_minor)) is None  # an older manager


def test_python_mismatch_names_both_versions() -> None:
    mismatch = check_compatible(register(python_version="2.7", hostname="n7", manager_id="abc"))
    assert isinstance(mismatch, VersionMismatch)
    assert isinstance(mismatch, ParslError)
    assert mismatch.mismatches == (("Python", "2.7", PY),)
    assert f"Python 2.7 on manager 'abc' on 'n7' vs {PY} on this process" in str(mismatch)


def test_every_mismatching_component_is_listed() -> None:
    mismatch = check_compatible(
        register(protocol_version=99, package_version="9.9.9", kernel_version="0.0.1")
    )
    assert mismatch is not None
    components = [component for component, _, _ in mismatch.mismatches]
    assert components == ["protocol version", "parsl-executors", "parsl-kernel"]
    text = str(mismatch)
    assert f"protocol version 99 on manager 'm-1' on 'node01' vs {PROTOCOL_VERSION}" in text
    assert "parsl-executors 9.9.9" in text
    assert "parsl-kernel 0.0.1" in text


# -------------------------------------------------------------- exceptions


@pytest.mark.parametrize(
    "exc",
    [
        VersionMismatch([("Python", "3.10", "3.11")], remote_name="mgr", local_name="ix"),
        ProtocolVersionMismatch(2, 1),
        ManagerLost("m-1", "no heartbeat for 130 s"),
        ManagerLost("m-1", "no heartbeat for 130 s", "node7"),
        WorkerLost("m-1", "worker exited with signal 9"),
        WorkerLost("m-1", "worker exited with signal 9", "node7"),
        MalformedMessage("bad"),
    ],
    ids=lambda e: type(e).__name__,
)
def test_exceptions_survive_pickling(exc: Exception) -> None:
    copy = pickle.loads(pickle.dumps(exc))
    assert type(copy) is type(exc)
    assert str(copy) == str(exc)
    assert copy.__dict__ == exc.__dict__


def test_every_exception_is_a_parsl_error_with_a_docstring() -> None:
    classes = [
        value
        for value in vars(errors).values()
        if isinstance(value, type) and issubclass(value, BaseException)
    ]
    assert len(classes) >= 9
    for cls in classes:
        assert issubclass(cls, ParslError)
        assert cls.__doc__


def test_lost_messages_name_the_manager_and_reason() -> None:
    assert str(ManagerLost("m-9", "block 3 was cancelled")) == (
        "Task failed because manager 'm-9' was lost: block 3 was cancelled"
    )
    assert "worker on manager 'm-9' was lost: exit -9" in str(WorkerLost("m-9", "exit -9"))
    assert str(ManagerLost("m-9", "gone", "node7")) == (
        "Task failed because manager 'm-9' on node7 was lost: gone"
    )
    assert "worker on manager 'm-9' on node7 was lost" in str(WorkerLost("m-9", "x", "node7"))
    assert (ManagerLost("m", "r").hostname, WorkerLost("m", "r", "h").hostname) == ("", "h")
    before = time.time()
    lost = ManagerLost("m", "r")
    assert before <= lost.tstamp <= time.time()  # Parsl's name: when the loss was raised
    assert pickle.loads(pickle.dumps(lost)).tstamp == lost.tstamp

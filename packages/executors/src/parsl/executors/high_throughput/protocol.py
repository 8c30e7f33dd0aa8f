"""The HighThroughputExecutor's versioned wire protocol, as plain data.

Every message that crosses a process boundary (executor <-> interchange <->
manager) is one of the frozen dataclasses below. ``msg.encode()`` turns it
into one byte frame and :func:`decode` turns a frame back into a message,
raising :class:`~parsl.executors.high_throughput.errors.MalformedMessage` or
:class:`~parsl.executors.high_throughput.errors.ProtocolVersionMismatch`
for anything else. No sockets here: the I/O shell moves the bytes.

Frame layout (all integers big-endian)::

    b"PHTX" | protocol version (uint16) | header length (uint32) | header | payload

The header is UTF-8 JSON: ``{"kind": "TASK", <the message's fields>}``. The
payload is the raw bytes of the one message field named ``payload`` (a
serialized function or result, produced by ``parsl.serialize``); kinds
without a payload field must have an empty tail.

Why JSON + raw bytes rather than pickle: decoding a frame never executes
code, so a stray or hostile peer can at worst cause a clear error; the
header is readable in a packet capture and by non-Python tools; and bulk data
is not copied through a text encoding. The magic and the protocol version sit
at fixed offsets that will never move, so a peer speaking another protocol
version is recognised as such (a clear version error), not misread.
"""

from __future__ import annotations

import json
import os
import struct
import typing
from dataclasses import dataclass
from typing import Any, ClassVar, TypeVar

from parsl.executors.high_throughput.errors import (
    MalformedMessage,
    ProtocolVersionMismatch,
)
from parsl.executors.high_throughput.message_fields import (
    check_field,
    field_checks,
    field_options,
    short_repr,
)
from parsl.executors.high_throughput.versions import (
    PROTOCOL_VERSION,
    check_compatible,
    local_versions,
)

__all__ = [
    "LOST_ERRORS",
    "MAGIC",
    "PROTOCOL_VERSION",
    "Accepted",
    "Command",
    "Drain",
    "Drained",
    "Heartbeat",
    "ManagerRefused",
    "Message",
    "Monitoring",
    "Register",
    "Rejected",
    "Reply",
    "Result",
    "Shutdown",
    "Task",
    "TaskFailed",
    "TaskLost",
    "WorkerReady",
    "check_compatible",
    "decode",
    "local_versions",
    "message_kinds",
]

MAGIC = b"PHTX"
_PREFIX = struct.Struct(">4sHI")

_JSON_ENCODER = json.JSONEncoder(separators=(",", ":"), allow_nan=False)
_KINDS: dict[str, type[Message]] = {}
_M = TypeVar("_M", bound="Message")


def _message_kind(kind: str) -> typing.Callable[[type[_M]], type[_M]]:
    """Class decorator: register a message class under its wire ``kind``."""

    def register(cls: type[_M]) -> type[_M]:
        cls.kind = kind
        _KINDS[kind] = cls
        return cls

    return register


@dataclass(frozen=True, kw_only=True)
class Message:
    """Base class of every wire message; subclasses are frozen dataclasses."""

    kind: ClassVar[str] = ""

    def __post_init__(self) -> None:
        for name, valid, options in field_checks(type(self)):
            value = getattr(self, name)
            if not valid(value):
                check_field(self.kind, name, options, value)
        self._check_values()

    def _check_values(self) -> None:
        """Range checks beyond the field types; subclasses override."""

    def encode(self) -> bytes:
        """This message as one frame (see the module docstring for the layout)."""
        header: dict[str, Any] = {"kind": self.kind}
        for name, _, _ in field_checks(type(self)):
            header[name] = getattr(self, name)
        payload: bytes = header.pop("payload", b"")
        header_bytes = _JSON_ENCODER.encode(header).encode()
        return _PREFIX.pack(MAGIC, PROTOCOL_VERSION, len(header_bytes)) + header_bytes + payload


def _non_negative(msg: Message, *names: str) -> None:
    for name in names:
        if getattr(msg, name) < 0:
            raise MalformedMessage(f"{msg.kind}.{name} must be >= 0, got {getattr(msg, name)}")


@_message_kind("REGISTER")
@dataclass(frozen=True, kw_only=True)
class Register(Message):
    """Manager -> interchange: a new manager announces itself, its capacity and its versions."""

    manager_id: str
    block_id: str | None
    hostname: str
    worker_count: int
    prefetch_capacity: int
    protocol_version: int
    python_version: str
    package_version: str
    kernel_version: str
    cpu_count: int = 0
    """CPUs of the manager's node (for monitoring's ``node`` table); 0 if unknown."""
    total_memory: int = 0
    """Bytes of memory of the manager's node; 0 if unknown."""

    def _check_values(self) -> None:
        _non_negative(self, "worker_count", "prefetch_capacity", "cpu_count", "total_memory")
        major, _, minor = self.python_version.partition(".")
        if not (major.isdigit() and minor.isdigit()):
            raise MalformedMessage(
                f"REGISTER.python_version must look like '3.11', got {self.python_version!r}"
            )

    @classmethod
    def for_this_process(
        cls,
        *,
        manager_id: str,
        block_id: str | None,
        hostname: str,
        worker_count: int,
        prefetch_capacity: int,
    ) -> Register:
        """A registration carrying this process's protocol, Python and package versions."""
        return cls(
            manager_id=manager_id,
            block_id=block_id,
            hostname=hostname,
            worker_count=worker_count,
            prefetch_capacity=prefetch_capacity,
            cpu_count=os.cpu_count() or 0,
            total_memory=_total_memory(),
            **local_versions(),
        )


def _total_memory() -> int:
    try:
        return int(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES"))
    except (ValueError, OSError, AttributeError):  # pragma: no cover - not POSIX
        return 0


@_message_kind("ACCEPTED")
@dataclass(frozen=True, kw_only=True)
class Accepted(Message):
    """Interchange -> manager: the registration was accepted; tasks may follow."""

    manager_id: str


@_message_kind("REJECTED")
@dataclass(frozen=True, kw_only=True)
class Rejected(Message):
    """Interchange -> manager: the registration (or the manager) is refused; the manager must exit."""

    manager_id: str
    reason: str


@_message_kind("HEARTBEAT")
@dataclass(frozen=True, kw_only=True)
class Heartbeat(Message):
    """Either direction: the sender is alive."""

    manager_id: str


@_message_kind("TASK")
@dataclass(frozen=True, kw_only=True)
class Task(Message):
    """A task to run: executor -> interchange -> manager. ``priority``: lower runs first, None last."""

    task_id: int
    priority: int | float | None
    resource_spec: dict[str, Any]
    payload: bytes

    def _check_values(self) -> None:
        _non_negative(self, "task_id")


@_message_kind("RESULT")
@dataclass(frozen=True, kw_only=True)
class Result(Message):
    """A task's serialized result or exception: manager -> interchange -> executor."""

    task_id: int
    payload: bytes

    def _check_values(self) -> None:
        _non_negative(self, "task_id")


@_message_kind("TASK_LOST")
@dataclass(frozen=True, kw_only=True)
class TaskLost(Message):
    """Manager -> interchange: the worker running ``task_id`` died without a result."""

    task_id: int
    reason: str

    def _check_values(self) -> None:
        _non_negative(self, "task_id")


@_message_kind("DRAIN")
@dataclass(frozen=True, kw_only=True)
class Drain(Message):
    """Either direction: the manager takes no new tasks and finishes the ones it has."""

    manager_id: str


@_message_kind("DRAINED")
@dataclass(frozen=True, kw_only=True)
class Drained(Message):
    """Interchange -> manager: the draining manager is idle and may exit."""

    manager_id: str


@_message_kind("SHUTDOWN")
@dataclass(frozen=True, kw_only=True)
class Shutdown(Message):
    """Executor -> interchange, interchange -> manager: stop now; ``reason`` says why."""

    reason: str


@_message_kind("WORKER_READY")
@dataclass(frozen=True, kw_only=True)
class WorkerReady(Message):
    """Worker -> manager: the worker process is connected and waits for tasks."""

    worker_id: str
    pid: int


@_message_kind("MONITORING")
@dataclass(frozen=True, kw_only=True)
class Monitoring(Message):
    """Worker -> manager -> interchange -> executor, or interchange -> executor: monitoring messages.

    ``payload`` is one batch in :mod:`parsl.monitoring.radios.wire`'s format;
    nothing on the way decodes it, only the executor does.
    """

    payload: bytes


MONITORING_PREFIX = b'{"kind":"MONITORING"'
"""How a MONITORING frame's header starts (after the fixed prefix): a cheap test without decoding."""

_MONITORING_HEADER = b'{"kind":"MONITORING"}'
MONITORING_HEAD = (
    _PREFIX.pack(MAGIC, PROTOCOL_VERSION, len(_MONITORING_HEADER)) + _MONITORING_HEADER
)
"""The exact bytes before the payload of every MONITORING frame of this protocol version."""


def is_monitoring(frame: bytes) -> bool:
    """True if ``frame`` is a MONITORING message (checked without decoding it)."""
    return frame.startswith(MONITORING_PREFIX, _PREFIX.size)


LOST_ERRORS = ("WorkerLost", "ManagerLost")
"""The ``error`` values of :class:`TaskFailed`: names of classes in :mod:`.errors`."""


@_message_kind("TASK_FAILED")
@dataclass(frozen=True, kw_only=True)
class TaskFailed(Message):
    """Interchange -> executor: the task failed outside user code; ``error`` names the exception."""

    task_id: int
    error: str
    manager_id: str
    reason: str

    def _check_values(self) -> None:
        _non_negative(self, "task_id")
        if self.error not in LOST_ERRORS:
            raise MalformedMessage(
                f"TASK_FAILED.error must be one of {list(LOST_ERRORS)}, got {short_repr(self.error)}"
            )


@_message_kind("MANAGER_REFUSED")
@dataclass(frozen=True, kw_only=True)
class ManagerRefused(Message):
    """Interchange -> executor: a manager was refused because its versions differ from ours.

    ``mismatches`` maps each disagreeing component to ``[remote, local]``.
    """

    manager_id: str
    hostname: str
    mismatches: dict[str, Any]


@_message_kind("COMMAND")
@dataclass(frozen=True, kw_only=True)
class Command(Message):
    """Executor -> interchange: a request, answered by a REPLY with the same ``request_id``."""

    request_id: int
    op: str
    args: dict[str, Any]


@_message_kind("REPLY")
@dataclass(frozen=True, kw_only=True)
class Reply(Message):
    """Interchange -> executor: the answer to the COMMAND with ``request_id``; ``error`` if it failed."""

    request_id: int
    result: dict[str, Any]
    error: str | None


def message_kinds() -> dict[str, type[Message]]:
    """Every wire kind and its message class."""
    return dict(_KINDS)


def decode(frame: bytes | bytearray | memoryview) -> Message:
    """Parse one frame into its message; raise a clear error for anything that is not one."""
    if type(frame) is bytes:
        data = frame
    elif isinstance(frame, bytes | bytearray | memoryview):
        data = bytes(frame)
    else:
        raise MalformedMessage(f"a frame must be bytes, got {type(frame).__name__}")
    if len(data) < _PREFIX.size:
        raise MalformedMessage(
            f"frame of {len(data)} bytes is shorter than the {_PREFIX.size}-byte prefix"
        )
    magic, protocol_version, header_length = _PREFIX.unpack_from(data)
    if magic != MAGIC:
        raise MalformedMessage(
            f"frame starts with {magic!r}, not {MAGIC!r}: not a HighThroughputExecutor message"
        )
    if protocol_version != PROTOCOL_VERSION:
        raise ProtocolVersionMismatch(protocol_version, PROTOCOL_VERSION)
    header_end = _PREFIX.size + header_length
    if header_end > len(data):
        raise MalformedMessage(
            f"frame is truncated: header claims {header_length} bytes, "
            f"{len(data) - _PREFIX.size} follow the prefix"
        )
    header = _parse_header(data[_PREFIX.size : header_end])
    payload = data[header_end:]

    kind = header.pop("kind", None)
    if not isinstance(kind, str) or kind not in _KINDS:
        raise MalformedMessage(
            f"unknown message kind {short_repr(kind)}; known kinds: {sorted(_KINDS)}"
        )
    cls = _KINDS[kind]
    expected, has_payload = _header_shape(cls)
    if header.keys() != expected:
        missing = sorted(expected - header.keys())
        unexpected = sorted(header.keys() - expected)
        raise MalformedMessage(f"{kind} header: missing fields {missing}, unexpected {unexpected}")
    if has_payload:
        header["payload"] = payload
    elif payload:
        raise MalformedMessage(f"{kind} carries no payload, but {len(payload)} bytes follow")
    return cls(**header)


_HEADER_SHAPES: dict[type[Message], tuple[frozenset[str], bool]] = {}


def _header_shape(cls: type[Message]) -> tuple[frozenset[str], bool]:
    """The header field names of a message class, and whether it has a payload (cached)."""
    shape = _HEADER_SHAPES.get(cls)
    if shape is None:
        declared = field_options(cls)
        shape = _HEADER_SHAPES[cls] = (
            frozenset(n for n in declared if n != "payload"),
            "payload" in declared,
        )
    return shape


def _parse_header(raw: bytes) -> dict[str, Any]:
    try:
        header = _JSON_DECODER.decode(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise MalformedMessage(f"frame header is not valid UTF-8 JSON: {exc}") from None
    if not isinstance(header, dict):
        raise MalformedMessage(f"frame header must be a JSON object, got {type(header).__name__}")
    return header


def _reject_constant(name: str) -> None:
    raise ValueError(f"{name} is not allowed in a frame header")


_JSON_DECODER = json.JSONDecoder(parse_constant=_reject_constant)

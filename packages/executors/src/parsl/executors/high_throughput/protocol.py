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
import math
import struct
import sys
import types
import typing
from dataclasses import dataclass, fields
from importlib.metadata import PackageNotFoundError, version
from typing import Any, ClassVar, TypeVar, Union

from parsl.executors.high_throughput.errors import (
    MalformedMessage,
    ProtocolVersionMismatch,
    VersionMismatch,
)

PROTOCOL_VERSION = 1
"""The wire-protocol version; bump it on any change to frames or message fields."""

MAGIC = b"PHTX"
_PREFIX = struct.Struct(">4sHI")
_MAX_JSON_DEPTH = 32

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
        for name, expected in _field_types(type(self)).items():
            _check_field(self.kind, name, expected, getattr(self, name))
        self._check_values()

    def _check_values(self) -> None:
        """Range checks beyond the field types; subclasses override."""

    def encode(self) -> bytes:
        """This message as one frame (see the module docstring for the layout)."""
        header: dict[str, Any] = {"kind": self.kind}
        header.update((f.name, getattr(self, f.name)) for f in fields(self))
        payload: bytes = header.pop("payload", b"")
        header_bytes = json.dumps(header, separators=(",", ":"), allow_nan=False).encode()
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

    def _check_values(self) -> None:
        _non_negative(self, "worker_count", "prefetch_capacity")
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
            **local_versions(),
        )


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


def message_kinds() -> dict[str, type[Message]]:
    """Every wire kind and its message class."""
    return dict(_KINDS)


def decode(frame: bytes | bytearray | memoryview) -> Message:
    """Parse one frame into its message; raise a clear error for anything that is not one."""
    if not isinstance(frame, bytes | bytearray | memoryview):
        raise MalformedMessage(f"a frame must be bytes, got {type(frame).__name__}")
    data = bytes(frame)
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
            f"unknown message kind {_short(kind)}; known kinds: {sorted(_KINDS)}"
        )
    cls = _KINDS[kind]
    expected = {name for name in _field_types(cls) if name != "payload"}
    missing = sorted(expected - header.keys())
    unexpected = sorted(header.keys() - expected)
    if missing or unexpected:
        raise MalformedMessage(f"{kind} header: missing fields {missing}, unexpected {unexpected}")
    if "payload" in _field_types(cls):
        header["payload"] = payload
    elif payload:
        raise MalformedMessage(f"{kind} carries no payload, but {len(payload)} bytes follow")
    return cls(**header)


def _parse_header(raw: bytes) -> dict[str, Any]:
    try:
        header = json.loads(raw.decode("utf-8"), parse_constant=_reject_constant)
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise MalformedMessage(f"frame header is not valid UTF-8 JSON: {exc}") from None
    if not isinstance(header, dict):
        raise MalformedMessage(f"frame header must be a JSON object, got {type(header).__name__}")
    return header


def _reject_constant(name: str) -> None:
    raise ValueError(f"{name} is not allowed in a frame header")


def local_versions() -> dict[str, Any]:
    """This process's protocol version, Python major.minor and package versions."""
    return {
        "protocol_version": PROTOCOL_VERSION,
        "python_version": f"{sys.version_info.major}.{sys.version_info.minor}",
        "package_version": _distribution_version("parsl-executors"),
        "kernel_version": _distribution_version("parsl-kernel"),
    }


def check_compatible(registration: Register) -> VersionMismatch | None:
    """None if the registering manager may work with this process, else why not.

    The protocol version, the Python major.minor (serialized functions
    only load under the same Python) and both package versions must match.
    """
    local = local_versions()
    mismatches = [
        (component, str(getattr(registration, name)), str(local[name]))
        for name, component in (
            ("protocol_version", "protocol version"),
            ("python_version", "Python"),
            ("package_version", "parsl-executors"),
            ("kernel_version", "parsl-kernel"),
        )
        if getattr(registration, name) != local[name]
    ]
    if not mismatches:
        return None
    return VersionMismatch(
        mismatches,
        remote_name=f"manager {registration.manager_id!r} on {registration.hostname!r}",
        local_name="this process",
    )


def _distribution_version(name: str) -> str:
    try:
        return version(name)
    except PackageNotFoundError:  # pragma: no cover - only without an install
        return "0.0.0+unknown"


_FIELD_TYPES: dict[type[Message], dict[str, Any]] = {}


def _field_types(cls: type[Message]) -> dict[str, Any]:
    """The declared type of each field of a message class (cached)."""
    types_by_name = _FIELD_TYPES.get(cls)
    if types_by_name is None:
        hints = typing.get_type_hints(cls)
        types_by_name = _FIELD_TYPES[cls] = {f.name: hints[f.name] for f in fields(cls)}
    return types_by_name


def _check_field(kind: str, name: str, expected: Any, value: Any) -> None:
    """Raise MalformedMessage unless ``value`` has the declared type ``expected``."""
    options = typing.get_args(expected) if _is_union(expected) else (expected,)
    for option in options:
        if _matches(option, value):
            return
    wanted = " or ".join(getattr(o, "__name__", str(o)) for o in options)
    raise MalformedMessage(
        f"{kind}.{name} must be {wanted}, got {type(value).__name__} {_short(value)}"
    )


def _short(value: Any) -> str:
    """``repr(value)``, cut to a length that fits in an error message."""
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def _is_union(tp: Any) -> bool:
    return typing.get_origin(tp) in (Union, types.UnionType)


def _matches(option: Any, value: Any) -> bool:
    if option is type(None):
        return value is None
    if option is int:
        return type(value) is int
    if option is float:
        return type(value) is float and math.isfinite(value)
    if option is str:
        return type(value) is str
    if option is bytes:
        return type(value) is bytes
    if typing.get_origin(option) is dict:
        return type(value) is dict and _is_json_object(value, 0)
    raise TypeError(f"unsupported field type {option!r}")  # pragma: no cover - schema bug


def _is_json_object(value: dict[Any, Any], depth: int) -> bool:
    return all(type(k) is str and _is_json(v, depth + 1) for k, v in value.items())


def _is_json(value: Any, depth: int) -> bool:
    """True if ``value`` survives a JSON round trip unchanged (native JSON types only)."""
    if depth > _MAX_JSON_DEPTH:
        return False
    if value is None or type(value) in (bool, int, str):
        return True
    if type(value) is float:
        return math.isfinite(value)
    if type(value) is list:
        return all(_is_json(v, depth + 1) for v in value)
    if type(value) is dict:
        return _is_json_object(value, depth)
    return False

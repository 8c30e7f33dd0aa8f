"""The HighThroughputExecutor's frame codec: one message <-> one versioned byte frame.

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

:class:`Message` is the base of every message kind; the kinds themselves,
registered with :func:`message_kind`, are in :mod:`.protocol`.
"""

from __future__ import annotations

import json
import struct
import typing
from dataclasses import dataclass
from typing import Any, ClassVar, TypeVar

from parsl.executors.high_throughput.errors import MalformedMessage, ProtocolVersionMismatch
from parsl.executors.high_throughput.message_fields import (
    check_field,
    field_checks,
    field_options,
    short_repr,
)
from parsl.executors.high_throughput.versions import PROTOCOL_VERSION

__all__ = ["MAGIC", "PREFIX", "Message", "decode", "message_kind", "message_kinds", "non_negative"]

MAGIC = b"PHTX"
PREFIX = struct.Struct(">4sHI")

_JSON_ENCODER = json.JSONEncoder(separators=(",", ":"), allow_nan=False)
_KINDS: dict[str, type[Message]] = {}
_M = TypeVar("_M", bound="Message")


def message_kind(kind: str) -> typing.Callable[[type[_M]], type[_M]]:
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
        return PREFIX.pack(MAGIC, PROTOCOL_VERSION, len(header_bytes)) + header_bytes + payload


def non_negative(msg: Message, *names: str) -> None:
    for name in names:
        if getattr(msg, name) < 0:
            raise MalformedMessage(f"{msg.kind}.{name} must be >= 0, got {getattr(msg, name)}")


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
    if len(data) < PREFIX.size:
        raise MalformedMessage(
            f"frame of {len(data)} bytes is shorter than the {PREFIX.size}-byte prefix"
        )
    magic, protocol_version, header_length = PREFIX.unpack_from(data)
    if magic != MAGIC:
        raise MalformedMessage(
            f"frame starts with {magic!r}, not {MAGIC!r}: not a HighThroughputExecutor message"
        )
    if protocol_version != PROTOCOL_VERSION:
        raise ProtocolVersionMismatch(protocol_version, PROTOCOL_VERSION)
    header_end = PREFIX.size + header_length
    if header_end > len(data):
        raise MalformedMessage(
            f"frame is truncated: header claims {header_length} bytes, "
            f"{len(data) - PREFIX.size} follow the prefix"
        )
    header = _parse_header(data[PREFIX.size : header_end])
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

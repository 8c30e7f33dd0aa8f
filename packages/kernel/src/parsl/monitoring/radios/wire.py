"""The bytes a radio carries: a versioned, validated batch of monitoring messages.

One encoded unit (a UDP datagram, a file, an htex MONITORING frame's
payload) is UTF-8 JSON::

    {"v": 1, "messages": [["TASK_INFO", {...}], ["RESOURCE_INFO", {...}], ...]}

``v`` is :data:`WIRE_VERSION`; each message is its
:class:`~parsl.monitoring.types.MessageType` name and its body, a flat
object of JSON scalars keyed by the monitoring database's column names (see
:mod:`parsl.monitoring.types`). JSON rather than pickle so that decoding a
stray or hostile datagram never runs code; :func:`decode_batch` raises
:class:`RadioMessageError` for anything else, and receivers log and drop it.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from parsl.errors import ParslError
from parsl.monitoring.types import MessageType, TaggedMonitoringMessage

__all__ = ["WIRE_VERSION", "RadioMessageError", "decode_batch", "encode_batch"]

WIRE_VERSION = 1
"""Bump on any change to the layout or the required keys."""

REQUIRED_KEYS: dict[MessageType, frozenset[str]] = {
    MessageType.TASK_INFO: frozenset(
        {"run_id", "task_id", "try_id", "task_status_name", "timestamp"}
    ),
    MessageType.RESOURCE_INFO: frozenset({"run_id", "task_id", "try_id", "timestamp"}),
    MessageType.NODE_INFO: frozenset({"run_id", "hostname", "uid", "timestamp"}),
    MessageType.BLOCK_INFO: frozenset({"run_id", "block_id", "status", "timestamp"}),
    MessageType.WORKFLOW_INFO: frozenset({"run_id"}),
}

_ENCODER = json.JSONEncoder(separators=(",", ":"), allow_nan=False)
_CONTAINERS = frozenset({dict, list})


class RadioMessageError(ParslError, ValueError):
    """Bytes that are not a monitoring batch of this version (garbage, truncation, another version)."""


def _check_body(kind: MessageType, body: Any) -> dict[str, Any]:
    """A decoded body: JSON gives str keys and scalar or container values; refuse containers."""
    if type(body) is not dict:
        raise RadioMessageError(f"{kind.name} body must be an object, got {type(body).__name__}")
    if not _CONTAINERS.isdisjoint(map(type, body.values())):  # in C: no Python loop per value
        key, value = next((k, v) for k, v in body.items() if type(v) in _CONTAINERS)
        raise RadioMessageError(
            f"{kind.name}.{key} must be a string, number, bool or null, got {value!r:.80}"
        )
    if not REQUIRED_KEYS[kind] <= body.keys():
        missing = sorted(REQUIRED_KEYS[kind] - body.keys())
        raise RadioMessageError(f"{kind.name} message lacks {missing}")
    return body


def encode_batch(messages: Iterable[TaggedMonitoringMessage]) -> bytes:
    """Encode messages for a radio; raises :class:`RadioMessageError` for an invalid one.

    Checked here: the ``(MessageType, dict)`` shape, the required keys, and
    that every value can be written as JSON. That values are scalars is
    checked by :func:`decode_batch` on the receiving side (a per-value check
    on every worker message would cost more than the rest of the encoding).
    """
    out: list[list[Any]] = []
    for item in messages:
        if type(item) is not tuple or len(item) != 2 or type(item[0]) is not MessageType:
            raise RadioMessageError(f"not a (MessageType, dict) pair: {item!r:.80}")
        kind, body = item
        if type(body) is not dict:
            raise RadioMessageError(f"{kind.name} body must be a dict, got {type(body).__name__}")
        if not REQUIRED_KEYS[kind] <= body.keys():
            missing = sorted(REQUIRED_KEYS[kind] - body.keys())
            raise RadioMessageError(f"{kind.name} message lacks {missing}")
        out.append([kind.name, body])
    try:
        return _ENCODER.encode({"v": WIRE_VERSION, "messages": out}).encode()
    except (TypeError, ValueError) as e:  # an object JSON cannot hold; NaN or infinity
        raise RadioMessageError(f"cannot encode monitoring messages: {e}") from None


def decode_batch(data: bytes) -> list[TaggedMonitoringMessage]:
    """The messages in ``data``; :class:`RadioMessageError` if it is not a valid batch."""
    try:
        doc = _DECODER.decode(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as e:
        raise RadioMessageError(f"not a monitoring batch (invalid UTF-8 JSON): {e}") from None
    if type(doc) is not dict or "v" not in doc:
        raise RadioMessageError("not a monitoring batch (no version field)")
    if doc["v"] != WIRE_VERSION:
        raise RadioMessageError(
            f"monitoring batch version {doc['v']!r} is not this receiver's version {WIRE_VERSION}"
        )
    messages = doc.get("messages")
    if type(messages) is not list:
        raise RadioMessageError("monitoring batch has no 'messages' list")
    out: list[TaggedMonitoringMessage] = []
    for item in messages:
        if type(item) is not list or len(item) != 2 or type(item[0]) is not str:
            raise RadioMessageError(f"not a [type, body] pair: {item!r:.80}")
        try:
            kind = MessageType[item[0]]
        except KeyError:
            raise RadioMessageError(f"unknown message type {item[0]!r:.40}") from None
        out.append((kind, _check_body(kind, item[1])))
    return out


def _reject_constant(name: str) -> None:
    raise ValueError(f"{name} is not allowed")


_DECODER = json.JSONDecoder(parse_constant=_reject_constant)
"""Made once: ``json.loads`` with a keyword argument builds a new decoder per call."""

"""The bytes a radio carries: a versioned, validated batch of monitoring messages.

One encoded unit (a UDP datagram, a file, an htex MONITORING frame's
payload) is UTF-8 JSON::

    {"v": 2, "messages": [["TASK_INFO", [...]], ["RESOURCE_INFO", [...]], ["WORKFLOW_INFO", {...}]]}

``v`` is :data:`WIRE_VERSION`; each message is its
:class:`~parsl.monitoring.types.MessageType` name and its body, the
database's column values (see :mod:`parsl.monitoring.types`), as JSON
scalars. A body is written positionally, as an array of the values of
:data:`FIELDS` for its type in that order (``null`` for a value the message
lacks), when every key of the message is one of those fields; otherwise
(extra keys, ``WORKFLOW_INFO``) as an object keyed by column name. Worker
messages are nearly all positional: no key is encoded, sent or parsed, and
a batch is about a third the size. Version 1 batches (objects only) are
still read.

JSON rather than pickle so that decoding a stray or hostile datagram never
runs code; :func:`decode_batch` raises :class:`RadioMessageError` for
anything else, and receivers log and drop it.
"""

from __future__ import annotations

import importlib
import json
from collections.abc import Callable, Iterable
from typing import Any

from parsl.errors import ParslError
from parsl.monitoring.types import MessageType, TaggedMonitoringMessage

__all__ = [
    "FIELDS",
    "WIRE_VERSION",
    "RadioMessageError",
    "as_body",
    "decode_batch",
    "decode_values",
    "encode_batch",
    "encode_values",
]

WIRE_VERSION = 2
"""Bump on any change to the layout, the required keys or :data:`FIELDS`."""

READABLE_VERSIONS = frozenset({1, WIRE_VERSION})
"""Versions :func:`decode_batch` reads (1: every body an object)."""

_FILE_KEYS = frozenset({"run_id", "file_id", "file_name", "task_id", "try_id", "timestamp"})

REQUIRED_KEYS: dict[MessageType, frozenset[str]] = {
    MessageType.TASK_INFO: frozenset(
        {"run_id", "task_id", "try_id", "task_status_name", "timestamp"}
    ),
    MessageType.RESOURCE_INFO: frozenset({"run_id", "task_id", "try_id", "timestamp"}),
    MessageType.NODE_INFO: frozenset({"run_id", "hostname", "uid", "timestamp"}),
    MessageType.BLOCK_INFO: frozenset({"run_id", "block_id", "status", "timestamp"}),
    MessageType.WORKFLOW_INFO: frozenset({"run_id"}),
    # File provenance and notes come from the workflow's own process, not over a radio;
    # listed so that a radio could carry them (as objects) like the other kinds.
    MessageType.INPUT_FILE_INFO: _FILE_KEYS,
    MessageType.OUTPUT_FILE_INFO: _FILE_KEYS,
    MessageType.ENVIRONMENT_INFO: frozenset({"run_id", "environment_id", "label"}),
    MessageType.MISC_INFO: frozenset({"run_id", "timestamp", "info"}),
}

FIELDS: dict[MessageType, tuple[str, ...]] = {
    MessageType.TASK_INFO: (
        "run_id",
        "task_id",
        "try_id",
        "task_status_name",
        "timestamp",
        "hostname",
        "executor_label",
        "block_id",
    ),
    MessageType.RESOURCE_INFO: (
        "run_id",
        "task_id",
        "try_id",
        "timestamp",
        "resource_monitoring_interval",
        "hostname",
        "psutil_process_pid",
        "psutil_cpu_num",
        "psutil_process_status",
        "psutil_process_num_threads",
        "psutil_process_num_ctx_switches_voluntary",
        "psutil_process_num_ctx_switches_involuntary",
        "psutil_process_time_user",
        "psutil_process_time_system",
        "psutil_process_memory_virtual",
        "psutil_process_memory_resident",
        "psutil_process_memory_percent",
        "psutil_process_cpu_percent",
        "psutil_process_disk_read",
        "psutil_process_disk_write",
        "psutil_process_children_count",
    ),
    MessageType.NODE_INFO: (
        "run_id",
        "hostname",
        "uid",
        "timestamp",
        "block_id",
        "cpu_count",
        "total_memory",
        "active",
        "worker_count",
        "python_v",
        "last_heartbeat",
    ),
    MessageType.BLOCK_INFO: (
        "run_id",
        "block_id",
        "status",
        "timestamp",
        "executor_label",
        "job_id",
    ),
}
"""The positional layout of each type's body: its required keys first, then the optional ones."""

_N_REQUIRED = {kind: len(REQUIRED_KEYS[kind]) for kind in FIELDS}


class _Layout:
    """What encoding and decoding need of one message type, found without hashing the enum member.

    (An enum member's ``hash()`` and ``.name`` run Python code; these are
    looked up by ``id()`` of the member or by its name, several times per
    message.)
    """

    __slots__ = ("field_set", "fields", "kind", "n_required", "name", "required")

    def __init__(self, kind: MessageType) -> None:
        self.kind = kind
        self.name = kind.name
        self.required = REQUIRED_KEYS[kind]
        self.fields = FIELDS.get(kind)
        self.field_set = frozenset(self.fields) if self.fields is not None else frozenset()
        self.n_required = len(self.required)


_LAYOUT_BY_ID = {id(kind): _Layout(kind) for kind in MessageType}
_LAYOUT_BY_NAME = {layout.name: layout for layout in _LAYOUT_BY_ID.values()}
_ENCODER = json.JSONEncoder(separators=(",", ":"), allow_nan=False)
_CONTAINERS = frozenset({dict, list})


def _orjson_dumps() -> Callable[[Any], bytes] | None:
    """orjson's ``dumps``, or None when orjson is not installed (it is optional).

    (Imported by name: the type checker is not told of an optional module.)
    """
    try:
        module = importlib.import_module("orjson")
    except ImportError:
        return None
    dumps: Callable[[Any], bytes] = module.dumps
    return dumps


_FAST_DUMPS = _orjson_dumps()
"""Used by :func:`encode_values` when orjson is installed (``parsl-monitoring[fast]``)."""


def _check_fields_order() -> None:
    for kind, fields in FIELDS.items():
        if frozenset(fields[: _N_REQUIRED[kind]]) != REQUIRED_KEYS[kind]:  # pragma: no cover
            raise AssertionError(f"FIELDS[{kind.name}] must list its required keys first")


_check_fields_order()


class RadioMessageError(ParslError, ValueError):
    """Bytes that are not a monitoring batch of this version (garbage, truncation, another version)."""


def _check_body(kind: MessageType, body: Any) -> dict[str, Any]:
    """A decoded object body: JSON gives str keys and scalar or container values; refuse containers."""
    if type(body) is not dict:
        raise RadioMessageError(
            f"{kind.name} body must be an object or an array, got {type(body).__name__}"
        )
    if not _CONTAINERS.isdisjoint(map(type, body.values())):  # in C: no Python loop per value
        key, value = next((k, v) for k, v in body.items() if type(v) in _CONTAINERS)
        raise RadioMessageError(
            f"{kind.name}.{key} must be a string, number, bool or null, got {value!r:.80}"
        )
    if not REQUIRED_KEYS[kind] <= body.keys():
        missing = sorted(REQUIRED_KEYS[kind] - body.keys())
        raise RadioMessageError(f"{kind.name} message lacks {missing}")
    return body


def _check_values(layout: _Layout, values: list[Any]) -> list[Any]:
    """A decoded array body, checked: its length, scalar values, its required values not null."""
    fields, name = layout.fields, layout.name
    if fields is None:
        raise RadioMessageError(f"{name} body must be an object, got an array")
    if len(values) != len(fields):
        raise RadioMessageError(
            f"{name} body has {len(values)} values, expected {len(fields)} ({', '.join(fields)})"
        )
    if not _CONTAINERS.isdisjoint(map(type, values)):
        i = next(i for i, v in enumerate(values) if type(v) in _CONTAINERS)
        raise RadioMessageError(
            f"{name}.{fields[i]} must be a string, number, bool or null, got {values[i]!r:.80}"
        )
    required = values[: layout.n_required]
    if None in required:
        missing = sorted(
            f for f, v in zip(fields[: len(required)], required, strict=True) if v is None
        )
        raise RadioMessageError(f"{name} message lacks {missing}")
    return values


def as_body(kind: MessageType, values: list[Any]) -> dict[str, Any]:
    """A positional body (as :func:`decode_values` returns it) as the message's dict, nulls left out."""
    body = dict(zip(FIELDS[kind], values, strict=True))
    if None in values:
        return {k: v for k, v in body.items() if v is not None}
    return body


def encode_batch(messages: Iterable[TaggedMonitoringMessage]) -> bytes:
    """Encode messages for a radio; raises :class:`RadioMessageError` for an invalid one.

    Checked here: the ``(MessageType, dict)`` shape, the required keys
    (present, and not None), and that every value can be written as JSON.
    That values are scalars is checked by :func:`decode_batch` on the
    receiving side (a per-value check on every worker message would cost
    more than the rest of the encoding).
    """
    out: list[list[Any]] = []
    for item in messages:
        if type(item) is not tuple or len(item) != 2 or type(item[0]) is not MessageType:
            raise RadioMessageError(f"not a (MessageType, dict) pair: {item!r:.80}")
        kind, body = item
        if type(body) is not dict:
            raise RadioMessageError(f"{kind.name} body must be a dict, got {type(body).__name__}")
        layout = _LAYOUT_BY_ID[id(kind)]
        fields = layout.fields
        if fields is not None and body.keys() <= layout.field_set:
            values = list(map(body.get, fields))
            if None in values[: layout.n_required]:
                missing = sorted(k for k in layout.required if body.get(k) is None)
                raise RadioMessageError(f"{layout.name} message lacks {missing}")
            out.append([layout.name, values])
            continue
        if not layout.required <= body.keys():
            missing = sorted(layout.required - body.keys())
            raise RadioMessageError(f"{layout.name} message lacks {missing}")
        out.append([layout.name, body])
    try:
        return _ENCODER.encode({"v": WIRE_VERSION, "messages": out}).encode()
    except (TypeError, ValueError) as e:  # an object JSON cannot hold; NaN or infinity
        raise RadioMessageError(f"cannot encode monitoring messages: {e}") from None


def encode_values(messages: Iterable[tuple[MessageType, list[Any]]]) -> bytes:
    """Encode messages given as positional bodies (the values of :data:`FIELDS` in order).

    The batch :func:`encode_batch` makes of the messages as dicts (a value of
    None is an absent key), without a dict per message: the worker's task
    wrapper and resource sampler build their messages this way. Raises
    :class:`RadioMessageError` for a type without a positional layout, a
    wrong number of values, a required value that is None, or a value JSON
    cannot hold.

    With orjson installed, it writes the JSON (a tenth of the standard
    library's time for a task's three messages; the same values, though a
    float may be spelt differently, ``0.00001`` for ``1e-05``). orjson writes NaN
    and infinity as ``null`` instead of refusing them, so its text is kept
    only when it holds exactly as many ``null`` as the values hold None;
    otherwise (and for what orjson refuses: an integer beyond 64 bits, a lone
    surrogate) the standard library writes the batch, or raises.
    """
    out: list[list[Any]] = []
    nones = 0
    for kind, values in messages:
        layout = _LAYOUT_BY_ID.get(id(kind))
        if layout is None or type(kind) is not MessageType or layout.fields is None:
            raise RadioMessageError(f"no positional layout for {kind!r:.40}")
        if type(values) is not list or len(values) != len(layout.fields):
            raise RadioMessageError(
                f"{layout.name} values must be a list of {len(layout.fields)} "
                f"({', '.join(layout.fields)}), got {values!r:.80}"
            )
        if None in values[: layout.n_required]:
            missing = sorted(
                f
                for f, v in zip(layout.fields, values[: layout.n_required], strict=False)
                if v is None
            )
            raise RadioMessageError(f"{layout.name} message lacks {missing}")
        out.append([layout.name, values])
        nones += values.count(None)
    doc = {"v": WIRE_VERSION, "messages": out}
    if _FAST_DUMPS is not None:
        try:
            data = _FAST_DUMPS(doc)
        except TypeError:  # orjson's JSONEncodeError: left to the standard library below
            pass
        else:
            if data.count(b"null") == nones:
                return data
    try:
        return _ENCODER.encode(doc).encode()
    except (TypeError, ValueError) as e:  # an object JSON cannot hold; NaN or infinity
        raise RadioMessageError(f"cannot encode monitoring messages: {e}") from None


def decode_values(data: bytes) -> list[tuple[MessageType, dict[str, Any] | list[Any]]]:
    """The messages in ``data`` as they travelled: a positional body stays a list of :data:`FIELDS`' values.

    Checked as :func:`decode_batch` checks them (raises
    :class:`RadioMessageError`); for a receiver that turns positional bodies
    into rows without building a dict per message (the monitoring writer).
    """
    try:
        doc = _DECODER.decode(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as e:
        raise RadioMessageError(f"not a monitoring batch (invalid UTF-8 JSON): {e}") from None
    if type(doc) is not dict or "v" not in doc:
        raise RadioMessageError("not a monitoring batch (no version field)")
    version = doc["v"]
    if type(version) is not int or version not in READABLE_VERSIONS:
        raise RadioMessageError(
            f"monitoring batch version {version!r:.40} is not one this receiver reads "
            f"({', '.join(map(str, sorted(READABLE_VERSIONS)))})"
        )
    messages = doc.get("messages")
    if type(messages) is not list:
        raise RadioMessageError("monitoring batch has no 'messages' list")
    out: list[tuple[MessageType, dict[str, Any] | list[Any]]] = []
    for item in messages:
        if type(item) is not list or len(item) != 2 or type(item[0]) is not str:
            raise RadioMessageError(f"not a [type, body] pair: {item!r:.80}")
        layout = _LAYOUT_BY_NAME.get(item[0])
        if layout is None:
            raise RadioMessageError(f"unknown message type {item[0]!r:.40}")
        body = item[1]
        if type(body) is list and version >= 2:
            out.append((layout.kind, _check_values(layout, body)))
        else:
            out.append((layout.kind, _check_body(layout.kind, body)))
    return out


def decode_batch(data: bytes) -> list[TaggedMonitoringMessage]:
    """The messages in ``data``; :class:`RadioMessageError` if it is not a valid batch."""
    out: list[TaggedMonitoringMessage] = []
    for kind, body in decode_values(data):
        out.append((kind, as_body(kind, body) if isinstance(body, list) else body))
    return out


def _reject_constant(name: str) -> None:
    raise ValueError(f"{name} is not allowed")


_DECODER = json.JSONDecoder(parse_constant=_reject_constant)
"""Made once: ``json.loads`` with a keyword argument builds a new decoder per call."""

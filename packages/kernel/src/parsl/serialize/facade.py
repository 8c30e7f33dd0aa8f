"""Serialize values and whole calls, with a pluggable serializer.

Payload format: one identifier byte-string, a newline, then the body. The
identifier selects the deserializer, so payloads from any registered
serializer can be read back.

As in Parsl, callables and data have separate serializers, dicts from
identifier to serializer tried in their order (:data:`methods_for_code`,
:data:`methods_for_data`), extended with :func:`register_method_for_code` /
:func:`register_method_for_data`; dill is the default for both.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from typing import Any

from parsl.serialize.base import SerializerBase
from parsl.serialize.dill_serializer import DillSerializer, PickleSerializer
from parsl.serialize.errors import (
    DeserializationError,
    DeserializerPluginError,
    SerializationError,
)

logger = logging.getLogger(__name__)

_SEP = b"\n"

methods_for_code: dict[bytes, SerializerBase] = {DillSerializer.identifier: DillSerializer()}
"""Serializers for callables by identifier, tried in order; the first that succeeds writes."""

methods_for_data: dict[bytes, SerializerBase] = {DillSerializer.identifier: DillSerializer()}
"""Serializers for everything else by identifier, tried in order."""

additional_methods_for_deserialization: dict[bytes, SerializerBase] = {
    PickleSerializer.identifier: PickleSerializer(),
    DillSerializer.identifier: DillSerializer(),
}
"""Serializers that only read: payloads with these identifiers can be deserialized.

dill and pickle stay readable whatever the writers are."""


def _check(serializer: SerializerBase) -> bytes:
    if not isinstance(serializer, SerializerBase):
        raise TypeError(f"expected a SerializerBase, got {type(serializer).__name__}")
    ident = serializer.identifier
    if not isinstance(ident, bytes) or not ident or _SEP in ident:
        raise ValueError(
            f"serializer identifier {ident!r} must be non-empty bytes and contain no newline"
        )
    return ident


def _put_first(methods: dict[bytes, SerializerBase], serializer: SerializerBase) -> None:
    """``serializer`` under its identifier, first in ``methods`` (changed in place)."""
    ident = _check(serializer)
    rest = [(k, m) for k, m in methods.items() if k != ident]
    methods.clear()
    methods[ident] = serializer
    methods.update(rest)


def register_method_for_code(s: SerializerBase) -> None:
    """Try serializer ``s`` first for callables (earlier registrations are tried after it).

    It replaces a serializer with the same identifier. (``s``: Parsl's parameter name.)
    """
    _put_first(methods_for_code, s)


def register_method_for_data(s: SerializerBase) -> None:
    """Try serializer ``s`` first for data (earlier registrations are tried after it)."""
    _put_first(methods_for_data, s)


def register_serializer(serializer: SerializerBase, *, default: bool = False) -> None:
    """Make ``serializer`` readable and, with ``default=True``, the only writer for code and data."""
    ident = _check(serializer)
    additional_methods_for_deserialization[ident] = serializer
    if default:
        for methods in (methods_for_code, methods_for_data):
            methods.clear()
            methods[ident] = serializer


def unregister_serializer(serializer: SerializerBase) -> None:
    """Forget ``serializer`` everywhere; a list left empty falls back to dill."""
    for methods in (methods_for_code, methods_for_data):
        for ident in [k for k, m in methods.items() if m is serializer]:
            del methods[ident]
        if not methods:
            methods[DillSerializer.identifier] = DillSerializer()
    if additional_methods_for_deserialization.get(serializer.identifier) is serializer:
        del additional_methods_for_deserialization[serializer.identifier]


def serialize(obj: Any, buffer_threshold: int | None = None, *, name: str = "object") -> bytes:
    """Serialize ``obj`` with the first serializer for its kind that succeeds.

    Callables use :data:`methods_for_code`, other objects
    :data:`methods_for_data`. ``name`` goes into the
    :class:`SerializationError` raised when none succeeds. A result longer
    than ``buffer_threshold`` bytes, if given, is logged as a warning (and
    still returned).
    """
    methods = methods_for_code if callable(obj) else methods_for_data
    errors = []
    for serializer in list(methods.values()):
        try:
            body = serializer.serialize(obj)
        except Exception as e:
            errors.append(e)
            continue
        out = serializer.identifier + _SEP + body
        if buffer_threshold is not None and len(out) > buffer_threshold:
            _warn_size(name, len(out), buffer_threshold)
        return out
    reason = "; ".join(f"{type(e).__name__}: {e}" for e in errors) or "no serializer registered"
    error = SerializationError(name, reason)
    raise error from (errors[-1] if errors else None)


def _reader(ident: bytes) -> SerializerBase | None:
    return (
        methods_for_code.get(ident)
        or methods_for_data.get(ident)
        or additional_methods_for_deserialization.get(ident)
    )


SUGGESTED_DISTRIBUTION: dict[bytes, str] = {b"ProxyStoreSerializer": "parsl-proxystore"}
"""This repository's distribution that provides each plugin identifier, named in errors."""


def _load_by_identifier(ident: bytes) -> SerializerBase:
    """Find the serializer that writes ``ident`` in the ``parsl.serializers`` entry-point group.

    The entry point named like the identifier is tried first; otherwise
    every registered serializer is loaded and compared. The instance found
    (a class is instantiated without arguments) is added to
    :data:`additional_methods_for_deserialization`.
    """
    from parsl import plugins

    group = plugins.GROUPS["serializers"]
    name = ident.decode("utf-8", "replace")
    names = plugins.available(group)
    ordered = [name] if name in names else []
    ordered += [n for n in names if n != name]
    for candidate in ordered:
        try:
            found = plugins.load(group, candidate)
        except ImportError as e:
            if candidate == name:
                raise DeserializerPluginError(ident, str(e)) from e
            continue
        if getattr(found, "identifier", None) != ident:
            continue
        serializer = found() if isinstance(found, type) else found
        if not isinstance(serializer, SerializerBase):
            raise DeserializationError(
                f"entry point {candidate!r} in group {group!r} is not a SerializerBase"
            )
        additional_methods_for_deserialization[ident] = serializer
        return serializer
    dist = SUGGESTED_DISTRIBUTION.get(ident)
    hint = (
        f"install {dist!r} (pip install {dist}) here"
        if dist
        else "install the package that provides it here, as on the submitting side"
    )
    raise DeserializerPluginError(
        ident,
        f"no serializer registered for identifier {ident!r}, and no installed package "
        f"provides it in entry-point group {group!r} (installed: {', '.join(names) or 'nothing'}); "
        + hint,
    )


def deserialize(payload: bytes) -> Any:
    """Rebuild an object from :func:`serialize`'s output.

    A payload whose serializer is not registered in this process is read by
    the serializer an installed package registers in the ``parsl.serializers``
    entry-point group (as a worker meets a driver's plugin serializer).
    """
    ident, sep, body = payload.partition(_SEP)
    if not sep:
        raise DeserializationError("payload has no serializer header")
    serializer = _reader(ident) or _load_by_identifier(ident)
    try:
        return serializer.deserialize(body)
    except Exception as e:
        raise DeserializationError(f"{type(e).__name__}: {e}") from e


PACK_WARN_BYTES = 128_000_000
"""Above this many bytes a packed call is logged as a warning, as in Parsl (``buffer_threshold``)."""


def _warn_size(what: str, size: int, threshold: int) -> None:
    logger.warning(
        "serialized %s is %d bytes, over buffer_threshold=%d: large arguments and results "
        "are slow to send; consider passing files instead",
        what,
        size,
        threshold,
    )


def pack_apply_message(
    func: Callable[..., Any],
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
    buffer_threshold: int = PACK_WARN_BYTES,
) -> bytes:
    """Serialize a call, naming the function or argument that cannot be serialized.

    A packed call longer than ``buffer_threshold`` bytes is logged as a
    warning (and still returned).
    """
    fname = getattr(func, "__name__", repr(func))
    parts = [serialize(func, name=f"function {fname}")]
    parts.extend(
        serialize(a, name=f"positional argument {i} of {fname}") for i, a in enumerate(args)
    )
    for k, v in kwargs.items():
        parts.append(serialize(v, name=f"keyword argument {k!r} of {fname}"))
    header = serialize((len(args), list(kwargs)), name="call header")
    return serialize([header, *parts], buffer_threshold, name=f"call of {fname}")


def unpack_apply_message(
    packed_buffer: bytes,
) -> tuple[Callable[..., Any], tuple[Any, ...], dict[str, Any]]:
    """Inverse of :func:`pack_apply_message`.

    Also reads Parsl's other form of a call: :func:`pack_buffers` of the
    serialized function, argument tuple and keyword dict.
    """
    if packed_buffer[:1] == _PACKED:
        func, args, kwargs = unpack_and_deserialize(packed_buffer)
        return func, tuple(args), dict(kwargs)
    header, func_b, *rest = deserialize(packed_buffer)
    nargs, keys = deserialize(header)
    func = deserialize(func_b)
    args = tuple(deserialize(b) for b in rest[:nargs])
    kwargs = {k: deserialize(b) for k, b in zip(keys, rest[nargs:], strict=True)}
    return func, args, kwargs


_PACKED = b"\n"  # no serialize() payload starts so: an identifier is never empty


def pack_buffers(buffers: Iterable[bytes | bytearray | memoryview]) -> bytes:
    """Join byte strings into one, each framed by its length; :func:`unpack_buffers` splits it."""
    out = [_PACKED]
    for i, buf in enumerate(buffers):
        if not isinstance(buf, bytes | bytearray | memoryview):
            raise TypeError(f"pack_buffers: buffer {i} is a {type(buf).__name__}, not bytes")
        data = bytes(buf)
        out += [b"%d\n" % len(data), data]
    return b"".join(out)


def unpack_buffers(packed_buffer: bytes) -> list[bytes]:
    """The byte strings :func:`pack_buffers` joined, in order."""
    if not isinstance(packed_buffer, bytes | bytearray | memoryview):
        raise TypeError(f"unpack_buffers: expected bytes, got {type(packed_buffer).__name__}")
    data = bytes(packed_buffer)
    if data[:1] != _PACKED:
        raise DeserializationError("not a buffer packed by pack_buffers")
    buffers, pos = [], 1
    while pos < len(data):
        end = data.find(b"\n", pos, pos + 21)
        size = data[pos:end]
        if end < 0 or not size.isdigit() or end + 1 + int(size) > len(data):
            raise DeserializationError(f"packed buffer is malformed or truncated at byte {pos}")
        start = end + 1
        buffers.append(data[start : start + int(size)])
        pos = start + int(size)
    return buffers


def unpack_and_deserialize(packed_buffer: bytes) -> list[Any]:
    """``[function, args, kwargs]`` of a packed call, as Parsl's workers read one.

    Takes :func:`pack_buffers` of three :func:`serialize` payloads, or
    :func:`pack_apply_message`'s output.
    """
    if not isinstance(packed_buffer, bytes | bytearray | memoryview):
        raise TypeError(
            f"unpack_and_deserialize: expected bytes, got {type(packed_buffer).__name__}"
        )
    if packed_buffer[:1] != _PACKED:
        return list(unpack_apply_message(bytes(packed_buffer)))
    buffers = unpack_buffers(packed_buffer)
    if len(buffers) != 3:
        raise DeserializationError(
            f"a packed call has 3 buffers (function, args, kwargs), this one has {len(buffers)}"
        )
    return [deserialize(b) for b in buffers]

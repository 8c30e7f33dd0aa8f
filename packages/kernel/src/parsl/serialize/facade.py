"""Serialize values and whole calls, with a pluggable serializer.

Payload format: one identifier byte-string, a newline, then the body. The
identifier selects the deserializer, so payloads from any registered
serializer can be read back.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from parsl.serialize.base import SerializerBase
from parsl.serialize.dill_serializer import DillSerializer, PickleSerializer
from parsl.serialize.errors import DeserializationError, SerializationError

_SEP = b"\n"
_by_id: dict[bytes, SerializerBase] = {}
_active: list[SerializerBase] = []


def register_serializer(serializer: SerializerBase, *, default: bool = False) -> None:
    """Make ``serializer`` readable and, with ``default=True``, use it for writing."""
    if not isinstance(serializer, SerializerBase):
        raise TypeError(f"expected a SerializerBase, got {type(serializer).__name__}")
    ident = serializer.identifier
    if not ident or _SEP in ident:
        raise ValueError(
            f"serializer identifier {ident!r} must be non-empty and contain no newline"
        )
    _by_id[ident] = serializer
    if default:
        _active[:] = [serializer]


def unregister_serializer(serializer: SerializerBase) -> None:
    """Forget ``serializer``; dill becomes the writer again if it was the writer."""
    _by_id.pop(serializer.identifier, None)
    if _active and _active[0] is serializer:
        _active[:] = [_by_id[DillSerializer.identifier]]


register_serializer(PickleSerializer())
register_serializer(DillSerializer(), default=True)


def serialize(obj: Any, *, name: str = "object") -> bytes:
    """Serialize ``obj`` with the active serializer; ``name`` goes into the error."""
    serializer = _active[0]
    try:
        body = serializer.serialize(obj)
    except Exception as e:
        raise SerializationError(name, f"{type(e).__name__}: {e}") from e
    return serializer.identifier + _SEP + body


def deserialize(payload: bytes) -> Any:
    """Rebuild an object from :func:`serialize`'s output."""
    ident, sep, body = payload.partition(_SEP)
    if not sep:
        raise DeserializationError("payload has no serializer header")
    serializer = _by_id.get(ident)
    if serializer is None:
        raise DeserializationError(f"no serializer registered for identifier {ident!r}")
    try:
        return serializer.deserialize(body)
    except Exception as e:
        raise DeserializationError(f"{type(e).__name__}: {e}") from e


def pack_apply_message(
    func: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]
) -> bytes:
    """Serialize a call, naming the function or argument that cannot be serialized."""
    fname = getattr(func, "__name__", repr(func))
    parts = [serialize(func, name=f"function {fname}")]
    parts.extend(
        serialize(a, name=f"positional argument {i} of {fname}") for i, a in enumerate(args)
    )
    for k, v in kwargs.items():
        parts.append(serialize(v, name=f"keyword argument {k!r} of {fname}"))
    header = serialize((len(args), list(kwargs)), name="call header")
    return serialize([header, *parts], name=f"call of {fname}")


def unpack_apply_message(
    packed: bytes,
) -> tuple[Callable[..., Any], tuple[Any, ...], dict[str, Any]]:
    """Inverse of :func:`pack_apply_message`."""
    header, func_b, *rest = deserialize(packed)
    nargs, keys = deserialize(header)
    func = deserialize(func_b)
    args = tuple(deserialize(b) for b in rest[:nargs])
    kwargs = {k: deserialize(b) for k, b in zip(keys, rest[nargs:], strict=True)}
    return func, args, kwargs

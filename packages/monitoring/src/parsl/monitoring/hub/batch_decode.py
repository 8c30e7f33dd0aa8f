"""The writer's decoder of radio batches: :func:`~parsl.monitoring.radios.wire.decode_values`, faster.

A worker's batch (one per task on htex: ``running``, a resource sample and
``running_ended``) is decoded in the writer process, where JSON parsing was
the largest part of its decoding. :func:`decode_radio_batch` returns what
``decode_values`` returns, and raises what it raises, for every input; when
`orjson <https://pypi.org/project/orjson/>`_ is installed (the ``fast``
extra: ``pip install 'parsl-monitoring[fast]'``) it parses with it, about
three times faster.

Only a batch on the common path is decoded here: version
:data:`~parsl.monitoring.radios.wire.WIRE_VERSION`, exactly the keys ``v``
and ``messages``, every body positional, of the right length, scalar
values, its required values not null, and no integer of 19 digits or more
(orjson reads an integer beyond 64 bits as a float; the standard library
as an int). Anything else (an older version, a keyed body, a malformed
batch, text orjson refuses but the standard library reads, such as ``NaN``
or a lone surrogate) goes to ``decode_values`` itself, which decodes it or
names what is wrong. So the two decoders never disagree on a result or an
error; the tests compare them on edge cases and on mutated batches.
"""

from __future__ import annotations

import importlib
import json
from collections.abc import Callable
from typing import Any

from parsl.monitoring.radios.wire import FIELDS, REQUIRED_KEYS, WIRE_VERSION, decode_values
from parsl.monitoring.types import MessageType

__all__ = ["FAST_JSON", "Decoded", "decode_radio_batch", "make_decoder", "stdlib_loads"]

Decoded = list[tuple[MessageType, dict[str, Any] | list[Any]]]
"""What :func:`~parsl.monitoring.radios.wire.decode_values` returns."""

Loads = Callable[[bytes], Any]


def _orjson_loads() -> Loads | None:
    """orjson's ``loads``, or None when the ``fast`` extra is not installed.

    (Imported by name: the type checker is not told of an optional module.)
    """
    try:
        module = importlib.import_module("orjson")
    except ImportError:
        return None
    loads: Loads = module.loads
    return loads


_FAST_LOADS = _orjson_loads()
FAST_JSON = _FAST_LOADS is not None
"""True when orjson is installed and :func:`decode_radio_batch` parses with it."""

_LAYOUTS: dict[str, tuple[MessageType, int, int]] = {
    kind.name: (kind, len(fields), len(REQUIRED_KEYS[kind])) for kind, fields in FIELDS.items()
}
"""A positional type's name: its member, its number of values and of required (leading) values."""

_CONTAINERS = frozenset({dict, list})
_DIGITS_AS_ZERO = bytes(0x30 if 0x30 <= b <= 0x39 else 0x20 for b in range(256))
_LONG_DIGITS = b"0" * 19
"""A run of digits no float repr has (at most 17 significant): an integer that may not fit in
64 bits. Found as ``_LONG_DIGITS in data.translate(_DIGITS_AS_ZERO)`` (a regular expression
cost several times as much)."""


def _reject_constant(name: str) -> None:
    raise ValueError(f"{name} is not allowed")


_STDLIB_DECODER = json.JSONDecoder(parse_constant=_reject_constant)


def stdlib_loads(data: bytes) -> Any:
    """JSON text parsed as ``decode_values`` parses it (the reference the tests hold others to)."""
    return _STDLIB_DECODER.decode(data.decode("utf-8"))


def make_decoder(loads: Loads | None) -> Callable[[bytes], Decoded]:
    """A decoder with the fast path parsing with ``loads``; None: ``decode_values`` alone.

    ``loads`` must return what the standard library's JSON parser returns
    for any text it accepts on the fast path, and may raise anything for
    text it does not take (that text goes to ``decode_values``).
    """
    if loads is None:
        return decode_values
    layouts, containers = _LAYOUTS, _CONTAINERS
    digits_as_zero, long_digits = _DIGITS_AS_ZERO, _LONG_DIGITS

    def decode(data: bytes) -> Decoded:
        try:
            doc = loads(data)
        except Exception:  # decode_values says what is wrong, or reads it
            return decode_values(data)
        if (
            type(doc) is not dict
            or len(doc) != 2
            or type(doc.get("v")) is not int
            or doc["v"] != WIRE_VERSION
            or type(messages := doc.get("messages")) is not list
            or long_digits in data.translate(digits_as_zero)
        ):
            return decode_values(data)
        out: Decoded = []
        for item in messages:
            if type(item) is not list or len(item) != 2:
                return decode_values(data)
            name, body = item
            layout = layouts.get(name) if type(name) is str else None
            if (
                layout is None
                or type(body) is not list
                or len(body) != layout[1]
                or not containers.isdisjoint(map(type, body))
                or None in body[: layout[2]]
            ):
                return decode_values(data)
            out.append((layout[0], body))
        return out

    return decode


decode_radio_batch: Callable[[bytes], Decoded] = make_decoder(_FAST_LOADS)
"""``decode_values(data)``'s result or error; parsed by orjson when it is installed."""

"""Runtime type checks for wire-message fields (used by :mod:`.protocol`).

A message class declares its fields with ordinary annotations; the checks
here accept exactly the values that survive a JSON round trip unchanged (or
raw ``bytes`` for the payload), so a decoded message equals the one encoded.
"""

from __future__ import annotations

import math
import types
import typing
from collections.abc import Callable
from dataclasses import fields
from typing import Any, Union

from parsl.executors.high_throughput.errors import MalformedMessage

_MAX_JSON_DEPTH = 32

_FIELD_OPTIONS: dict[type, dict[str, tuple[Any, ...]]] = {}
_FIELD_CHECKS: dict[type, tuple[tuple[str, Callable[[Any], bool], tuple[Any, ...]], ...]] = {}
_PLAIN = frozenset({type(None), int, str, bytes})


def field_options(cls: type) -> dict[str, tuple[Any, ...]]:
    """Each field of a message dataclass and the types its value may have (cached)."""
    options = _FIELD_OPTIONS.get(cls)
    if options is None:
        hints = typing.get_type_hints(cls)
        options = _FIELD_OPTIONS[cls] = {f.name: _union_members(hints[f.name]) for f in fields(cls)}
    return options


def field_checks(cls: type) -> tuple[tuple[str, Callable[[Any], bool], tuple[Any, ...]], ...]:
    """Per field: its name, a fast predicate for valid values, and its declared types (cached)."""
    checks = _FIELD_CHECKS.get(cls)
    if checks is None:
        checks = _FIELD_CHECKS[cls] = tuple(
            (name, _predicate(options), options) for name, options in field_options(cls).items()
        )
    return checks


def _predicate(options: tuple[Any, ...]) -> Callable[[Any], bool]:
    plain = frozenset(o for o in options if o in _PLAIN)
    has_float = float in options
    has_dict = any(typing.get_origin(o) is dict for o in options)
    has_int_list = any(typing.get_origin(o) is list for o in options)

    def valid(value: Any) -> bool:
        kind = type(value)
        if kind in plain:
            return True
        if kind is float:
            return has_float and math.isfinite(value)
        if kind is list:
            return has_int_list and _is_int_list(value)
        return kind is dict and has_dict and _is_json_object(value, 0)

    return valid


def check_field(kind: str, name: str, options: tuple[Any, ...], value: Any) -> None:
    """Raise MalformedMessage unless ``value`` has one of the declared types ``options``."""
    for option in options:
        if _matches(option, value):
            return
    wanted = " or ".join(o.__name__ if isinstance(o, type) else str(o) for o in options)
    raise MalformedMessage(
        f"{kind}.{name} must be {wanted}, got {type(value).__name__} {short_repr(value)}"
    )


def short_repr(value: Any) -> str:
    """``repr(value)``, cut to a length that fits in an error message."""
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def _union_members(tp: Any) -> tuple[Any, ...]:
    if typing.get_origin(tp) in (Union, types.UnionType):
        return typing.get_args(tp)
    return (tp,)


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
    if typing.get_origin(option) is list and typing.get_args(option) == (int,):
        return type(value) is list and _is_int_list(value)
    raise TypeError(f"unsupported field type {option!r}")  # pragma: no cover - schema bug


def _is_int_list(value: list[Any]) -> bool:
    return all(type(v) is int for v in value)


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

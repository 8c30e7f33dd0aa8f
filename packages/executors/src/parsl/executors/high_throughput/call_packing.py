"""Pack a call for a worker, fast: :func:`parsl.serialize.unpack_apply_message` reads the result.

:class:`CallPacker` produces the same layout as
:func:`parsl.serialize.pack_apply_message` (a serialized list of the
serialized call header, function and arguments), with three savings that
matter at thousands of tasks per second:

* each function is serialized once and reused (an LRU of recent
  functions): with dill, serializing a function by value costs hundreds of
  microseconds. As with Parsl, a function's later changes to the module
  globals it reads are therefore not seen by workers;
* the envelope and the call header, which hold only bytes, ints and
  strings, use plain pickle instead of dill;
* arguments (and, in the worker, results) of exact built-in scalar types
  (None, bool, int, float, str, bytes), and tuples of them, use plain
  pickle; every other value uses the active serializer (dill's pickler is
  written in Python: tens of microseconds even for a pair of ints).

Names for error messages (a wrapped function's repr can take microseconds)
are only made when something fails to serialize.
"""

from __future__ import annotations

import functools
import pickle
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any

from parsl.serialize import serialize
from parsl.serialize.dill_serializer import PickleSerializer

_PICKLE_PREFIX = PickleSerializer.identifier + b"\n"
_SCALARS = frozenset({type(None), bool, int, float, str, bytes})
_PROTOCOL = pickle.HIGHEST_PROTOCOL


def _pickled(obj: Any) -> bytes:
    return _PICKLE_PREFIX + pickle.dumps(obj, protocol=_PROTOCOL)


def _plain(obj: Any) -> bool:
    """True for what plain pickle writes as dill would: built-in scalars and tuples of them."""
    kind = type(obj)
    if kind in _SCALARS:
        return True
    return kind is tuple and all(type(x) in _SCALARS for x in obj)


def serialize_value(obj: Any, name: str) -> bytes:
    """``obj`` serialized for :func:`parsl.serialize.deserialize`: plain pickle where it can."""
    if _plain(obj):
        return _pickled(obj)
    return serialize(obj, name=name)


def _name(func: Callable[..., Any]) -> str:
    return getattr(func, "__name__", None) or repr(func)


def _cache_key(func: Callable[..., Any]) -> Hashable | None:
    """A key under which ``func`` serializes the same way, or None if it must not be cached."""
    if isinstance(func, functools.partial):
        try:
            key = (functools.partial, func.func, func.args, tuple(sorted(func.keywords.items())))
            hash(key)
        except TypeError:
            return None
        return key
    try:
        hash(func)
    except TypeError:
        return None
    return func


class CallPacker:
    """Serializes calls for workers, remembering the ``cache_size`` most recent functions."""

    def __init__(self, cache_size: int = 256) -> None:
        self.cache_size = cache_size
        self._functions: OrderedDict[Hashable, bytes] = OrderedDict()
        self._lock = threading.Lock()

    def _function_bytes(self, func: Callable[..., Any]) -> bytes:
        key = _cache_key(func)
        if key is None:
            return serialize(func, name=f"function {_name(func)}")
        with self._lock:
            cached = self._functions.get(key)
            if cached is not None:
                self._functions.move_to_end(key)
                return cached
        data = serialize(func, name=f"function {_name(func)}")
        with self._lock:
            self._functions[key] = data
            if len(self._functions) > self.cache_size:
                self._functions.popitem(last=False)
        return data

    def pack(
        self, func: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> bytes:
        """The packed call ``func(*args, **kwargs)``; a SerializationError names what failed."""
        parts = [_pickled((len(args), list(kwargs))), self._function_bytes(func)]
        for i, a in enumerate(args):
            parts.append(_argument(a, i, func))
        for k, v in kwargs.items():
            parts.append(_argument(v, k, func))
        return _pickled(parts)


def _argument(value: Any, where: int | str, func: Callable[..., Any]) -> bytes:
    """One argument (positional index or keyword) of ``func``, named only if it fails."""
    if _plain(value):
        return _pickled(value)
    what = f"positional argument {where}" if type(where) is int else f"keyword argument {where!r}"
    return serialize(value, name=f"{what} of {_name(func)}")

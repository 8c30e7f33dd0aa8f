"""Parsl's module path for the concrete serializers.

``PickleSerializer`` (the standard library's pickle), ``DillSerializer``
(dill: lambdas, closures, functions defined in ``__main__``) and
``DillCallableSerializer`` (dill for functions, serializing each function
object once and reusing the bytes: the function must not change after its
first use).
"""

from __future__ import annotations

import threading
import weakref
from typing import Any

from parsl.serialize.dill_serializer import DillSerializer, PickleSerializer

__all__ = ["DillCallableSerializer", "DillSerializer", "PickleSerializer"]


class DillCallableSerializer(DillSerializer):
    """dill for callables, caching the bytes of each function object (weakly, by identity)."""

    identifier = b"C"

    def __init__(self) -> None:
        super().__init__()
        self._cache: weakref.WeakKeyDictionary[Any, bytes] = weakref.WeakKeyDictionary()
        self._lock = threading.Lock()

    def serialize(self, data: Any) -> bytes:
        try:
            with self._lock:
                cached = self._cache.get(data)
        except TypeError:  # not weakly referenceable or not hashable: no caching
            return super().serialize(data)
        if cached is not None:
            return cached
        body = super().serialize(data)
        try:
            with self._lock:
                self._cache[data] = body
        except TypeError:
            pass
        return body

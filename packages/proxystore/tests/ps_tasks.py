"""Apps for the tests and the benchmark; workers import them from this directory (on PYTHONPATH)."""

from __future__ import annotations

import os
import pickle
from typing import Any

from proxystore.proxy import Proxy, is_resolved

from parsl import python_app
from parsl.serialize import SerializerBase


def is_array(value: Any) -> bool:
    """The tests' should_proxy: numpy arrays travel as proxies."""
    import numpy as np

    return isinstance(value, np.ndarray)


@python_app
def inspect_arg(x: Any) -> dict[str, Any]:
    """What the worker received: a proxy, unresolved until used, then the data."""
    was_proxy = type(x) is Proxy
    resolved_before = is_resolved(x) if was_proxy else True
    total = float(x.sum())
    return {
        "proxy": was_proxy,
        "resolved_before": resolved_before,
        "resolved_after": is_resolved(x) if was_proxy else True,
        "sum": total,
        "pid": os.getpid(),
    }


@python_app
def scale(x: Any, k: int) -> Any:
    """An array result, made on the worker from a proxied argument."""
    return x * k


@python_app
def describe(value: Any) -> str:
    """A value that is not proxied arrives as itself."""
    return f"{type(value).__name__}:{value!r}"


@python_app
def first_element(x: Any) -> float:
    return float(x[0])


class DriverOnlySerializer(SerializerBase):
    """Stands for a serializer plugin installed on the driver but not on the workers."""

    identifier = b"DriverOnlySerializer"

    def serialize(self, data: Any) -> bytes:
        return pickle.dumps(data)

    def deserialize(self, body: bytes) -> Any:
        return pickle.loads(body)


@python_app
def length(x: Any) -> int:
    return len(x)

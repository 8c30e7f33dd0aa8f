"""The default serializers: dill (handles lambdas and closures) and plain pickle."""

from __future__ import annotations

import pickle
from typing import Any

import dill

from parsl.serialize.base import SerializerBase


class DillSerializer(SerializerBase):
    """dill: the default; serializes functions defined in ``__main__`` and closures."""

    identifier = b"D"

    def serialize(self, data: Any) -> bytes:
        return bytes(dill.dumps(data, protocol=pickle.HIGHEST_PROTOCOL, recurse=True))

    def deserialize(self, body: bytes) -> Any:
        return dill.loads(body)


class PickleSerializer(SerializerBase):
    """The standard library's pickle: faster, but only for importable objects."""

    identifier = b"P"

    def serialize(self, data: Any) -> bytes:
        return pickle.dumps(data, protocol=pickle.HIGHEST_PROTOCOL)

    def deserialize(self, body: bytes) -> Any:
        return pickle.loads(body)

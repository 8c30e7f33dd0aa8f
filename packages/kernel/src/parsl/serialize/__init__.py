"""Serialization: dill by default, with a plugin interface."""

import pkgutil

__path__ = pkgutil.extend_path(__path__, __name__)

from parsl.serialize.base import SerializerBase
from parsl.serialize.errors import DeserializationError, SerializationError
from parsl.serialize.facade import (
    deserialize,
    pack_apply_message,
    register_serializer,
    serialize,
    unpack_apply_message,
    unregister_serializer,
)

__all__ = [
    "DeserializationError",
    "SerializationError",
    "SerializerBase",
    "deserialize",
    "pack_apply_message",
    "register_serializer",
    "serialize",
    "unpack_apply_message",
    "unregister_serializer",
]

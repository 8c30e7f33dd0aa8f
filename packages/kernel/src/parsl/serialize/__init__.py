"""Serialization: dill by default, with a plugin interface."""

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

"""Serialization: dill by default, with a plugin interface."""

import pkgutil

__path__ = pkgutil.extend_path(__path__, __name__)

from parsl.serialize.base import SerializerBase
from parsl.serialize.errors import DeserializationError, SerializationError
from parsl.serialize.facade import (
    additional_methods_for_deserialization,
    deserialize,
    methods_for_code,
    methods_for_data,
    pack_apply_message,
    register_method_for_code,
    register_method_for_data,
    register_serializer,
    serialize,
    unpack_apply_message,
    unregister_serializer,
)

__all__ = [
    "DeserializationError",
    "SerializationError",
    "SerializerBase",
    "additional_methods_for_deserialization",
    "deserialize",
    "methods_for_code",
    "methods_for_data",
    "pack_apply_message",
    "register_method_for_code",
    "register_method_for_data",
    "register_serializer",
    "serialize",
    "unpack_apply_message",
    "unregister_serializer",
]

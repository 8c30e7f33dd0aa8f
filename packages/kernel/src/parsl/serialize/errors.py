"""Serialization exceptions."""

from __future__ import annotations

from parsl.errors import ParslError


class SerializationError(ParslError):
    """An object could not be serialized; the message names which one."""

    def __init__(self, fname: str, reason: str = "") -> None:
        super().__init__(f"Failed to serialize {fname}" + (f": {reason}" if reason else ""))
        self.fname = fname
        self.reason = reason


class DeserializationError(ParslError):
    """A payload could not be deserialized."""

    def __init__(self, reason: str) -> None:
        super().__init__(f"Failed to deserialize: {reason}")
        self.reason = reason


class DeserializerPluginError(DeserializationError):
    """No serializer that reads a payload's identifier could be found or loaded (Parsl's name).

    ``header`` is the identifier; the message says what to install.
    """

    def __init__(self, header: bytes, reason: str = "") -> None:
        super().__init__(reason or f"no deserializer plugin for identifier {header!r}")
        self.header = header

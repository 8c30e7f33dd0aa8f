"""The serializer plugin interface."""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any


class SerializerBase(ABC):
    """Turns objects into bytes and back.

    ``identifier`` is a short unique byte string written in front of every
    payload, so the receiving side picks the matching deserializer.
    """

    identifier: bytes = b""

    @abstractmethod
    def serialize(self, data: Any) -> bytes:
        """Return ``data`` as bytes; raise on anything it cannot handle."""

    @abstractmethod
    def deserialize(self, body: bytes) -> Any:
        """Rebuild the object from bytes made by :meth:`serialize`."""

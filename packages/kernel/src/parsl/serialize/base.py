"""The serializer plugin interface."""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any


class SerializerBase(ABC):
    """Turns objects into bytes and back.

    ``identifier`` is a short unique byte string (no newline) written in
    front of every payload, so the receiving side picks the matching
    deserializer. A subclass sets it as a class attribute, ``identifier``
    or, as Parsl's serializers do, ``_identifier``; either name works.
    """

    identifier: bytes = b""
    _identifier: bytes = b""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "_identifier" in cls.__dict__ and "identifier" not in cls.__dict__:
            cls.identifier = cls._identifier
        elif "identifier" in cls.__dict__:
            cls._identifier = cls.identifier

    @abstractmethod
    def serialize(self, data: Any) -> bytes:
        """Return ``data`` as bytes; raise on anything it cannot handle."""

    @abstractmethod
    def deserialize(self, payload: bytes) -> Any:
        """Rebuild the object from bytes made by :meth:`serialize`."""

"""``parsl.monitoring.message_type.MessageType``: where Parsl's code imports the message kinds from.

The same enum as :class:`parsl.monitoring.types.MessageType`.
"""

from __future__ import annotations

from parsl.monitoring.types import MessageType

__all__ = ["MessageType"]

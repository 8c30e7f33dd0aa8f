"""``UsageInformation``: the mix-in Parsl's executors and plugins declare usage details with.

An executor or provider written for Parsl may inherit it and implement
:meth:`UsageInformation.get_usage_information`; it imports and works here,
and since this project sends no usage data the method is never called by
Parsl itself (a plugin may still call it).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any

__all__ = ["UsageInformation"]


class UsageInformation(ABC):
    """A component that can describe itself for usage tracking."""

    @abstractmethod
    def get_usage_information(self) -> dict[str, Any]:
        """What this component would report about its use (a JSON-compatible dict)."""

"""What a :class:`~parsl.executors.high_throughput.manager_selector.ManagerSelector` is told about a manager.

Parsl's ``ManagerRecord``: a ``TypedDict`` (every key optional), one per
ready manager, handed to a selector's ``sort_managers`` inside the
interchange. The interchange fills ``block_id``, ``start_time``, ``tasks``,
``worker_count``, ``max_capacity``, ``active``, ``draining``, ``hostname``,
and ``last_heartbeat``; the other keys are declared for code written
against Parsl's type.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, TypedDict


class ManagerRecord(TypedDict, total=False):
    """One manager, as a selector sees it (keys as in Parsl)."""

    block_id: str | None
    start_time: float
    """When it registered (the interchange's clock, seconds)."""
    tasks: list[Any]
    """The ids of the tasks it holds now."""
    worker_count: int
    max_capacity: int
    """The most tasks it may hold at once (its free slots: ``max_capacity - len(tasks)``)."""
    active: bool
    draining: bool
    drain_time: float
    hostname: str
    last_heartbeat: float
    idle_since: float | None
    timestamp: datetime
    parsl_version: str
    python_version: str
    packages: dict[str, str]

"""The state :class:`~parsl.executors.high_throughput.dispatch.TaskDispatch` keeps, and its read-only queries."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from parsl.executors.high_throughput.dispatch_records import (
    DispatchCounters,
    ManagerLoad,
    ManagerRecord,
    SlotHeap,
    check_time,
)
from parsl.executors.high_throughput.errors import InvalidDispatchEvent
from parsl.executors.high_throughput.manager_selector import ManagerSelector


class DispatchState:
    """Queued tasks, registered managers and what each holds; the queries a scaling strategy asks."""

    def __init__(
        self,
        heartbeat_threshold: float,
        prefer_newest_block: bool = False,
        selector: ManagerSelector | None = None,
    ) -> None:
        check_time("heartbeat_threshold", heartbeat_threshold)
        if heartbeat_threshold <= 0:
            raise InvalidDispatchEvent(
                f"heartbeat_threshold must be > 0 seconds, got {heartbeat_threshold}"
            )
        self.heartbeat_threshold = heartbeat_threshold
        self.prefer_newest_block = prefer_newest_block
        self.selector = selector
        """A selector of the user's own (its ``sort_managers`` orders managers), or None."""
        self.counters = DispatchCounters()
        self._queue: list[tuple[float, int, int]] = []  # (priority key, submission seq, task)
        self._queued: dict[int, Mapping[str, Any]] = {}  # task -> resource spec
        self._assigned: dict[int, str] = {}  # task -> manager
        self._managers: dict[str, ManagerRecord] = {}
        self._seen_ids: set[str] = set()  # every manager id that ever tried to register
        self._cancelled_blocks: set[str] = set()
        self._slots = SlotHeap(prefer_newest_block)
        self._seq = 0
        self._sent: dict[int, tuple[float, int, Mapping[str, Any]]] = {}  # (key, seq, spec) of held
        self._lookahead_on = True
        self._holders: dict[
            str, None
        ] = {}  # managers that may hold tasks beyond capacity, in order

    # ---------------------------------------------------------------- queries

    def queue_length(self) -> int:
        """Tasks waiting for a manager."""
        return len(self._queued)

    def outstanding_task_count(self) -> int:
        """Tasks queued or running: the load a scaling strategy provisions for."""
        return len(self._queued) + len(self._assigned)

    def queued_task_ids(self) -> list[int]:
        """Queued tasks in the order they will be sent."""
        return [task_id for _, _, task_id in sorted(self._queue)]

    def manager_of(self, task_id: int) -> str | None:
        """The manager holding ``task_id``, or None if it is queued or unknown."""
        return self._assigned.get(task_id)

    def manager_load(self, manager_id: str) -> ManagerLoad | None:
        """A snapshot of one registered manager, or None if it is not registered."""
        manager = self._managers.get(manager_id)
        if manager is None:
            return None
        return ManagerLoad(
            manager.manager_id,
            manager.block_id,
            manager.worker_count,
            manager.prefetch_capacity,
            frozenset(manager.tasks),
            manager.draining,
            manager.last_heartbeat,
        )

    def manager_loads(self) -> list[ManagerLoad]:
        """Snapshots of every registered manager, in registration order."""
        return [load for m in self._managers if (load := self.manager_load(m)) is not None]

    def block_loads(self) -> dict[str, int]:
        """Outstanding tasks per block that has registered managers (0: an idle block)."""
        loads: dict[str, int] = {}
        for manager in self._managers.values():
            if manager.block_id is not None:
                loads[manager.block_id] = loads.get(manager.block_id, 0) + len(manager.tasks)
        return loads

    def free_capacity(self) -> int:
        """Free task slots (lookahead not counted) on managers that accept new tasks."""
        return sum(
            max(0, m.capacity - len(m.tasks)) for m in self._managers.values() if not m.draining
        )

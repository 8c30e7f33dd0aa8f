"""The records :class:`~parsl.executors.high_throughput.dispatch.TaskDispatch` keeps, and its argument checks."""

from __future__ import annotations

import heapq
import math
from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from parsl.executors.high_throughput.errors import InvalidDispatchEvent
from parsl.executors.high_throughput.manager_record import ManagerRecord as PublicRecord


@dataclass(frozen=True)
class ManagerLoad:
    """A snapshot of one registered manager's load, for scaling decisions."""

    manager_id: str
    block_id: str | None
    worker_count: int
    prefetch_capacity: int
    task_ids: frozenset[int]
    draining: bool
    last_heartbeat: float

    @property
    def capacity(self) -> int:
        """The most tasks this manager holds at once, beside the lookahead it gives back on request."""
        return self.worker_count + self.prefetch_capacity

    @property
    def outstanding(self) -> int:
        """Tasks sent to this manager and not yet finished."""
        return len(self.task_ids)


@dataclass
class DispatchCounters:
    """How many events from remote peers were ignored, by kind."""

    ignored_results: int = 0
    ignored_heartbeats: int = 0
    ignored_worker_losses: int = 0
    ignored_manager_losses: int = 0
    ignored_drains: int = 0
    selector_errors: int = 0
    """Calls of a user's ``sort_managers`` that raised or returned something else than a list."""
    ignored_returns: int = 0
    rejected_registrations: int = 0


@dataclass(eq=False)
class ManagerRecord:
    """One registered manager as the dispatch sees it."""

    manager_id: str
    block_id: str | None
    worker_count: int
    prefetch_capacity: int
    last_heartbeat: float
    registration_seq: int
    lookahead: int = 0
    """Tasks it may hold beyond ``worker_count + prefetch_capacity`` while lookahead is on."""
    tasks: set[int] = field(default_factory=set)
    draining: bool = False
    reclaims: deque[int] = field(default_factory=deque)
    """The counts of the RECLAIMs sent to it and not answered yet, oldest first."""
    hostname: str = ""
    """The host it registered from (named by ManagerLost and WorkerLost)."""
    start_time: float = 0.0
    """When it registered."""

    @property
    def capacity(self) -> int:
        return self.worker_count + self.prefetch_capacity

    @property
    def free(self) -> int:
        """Slots it may still be given, lookahead included."""
        return self.capacity + self.lookahead - len(self.tasks)

    @property
    def excess(self) -> int:
        """Tasks it holds beyond its capacity: lookahead tasks it has not necessarily started."""
        return len(self.tasks) - self.capacity

    @property
    def reclaimable(self) -> int:
        """Held tasks beyond its capacity that no unanswered RECLAIM asks for yet."""
        return self.excess - sum(self.reclaims)

    @property
    def idle_workers(self) -> int:
        return self.worker_count - len(self.tasks)


def public_record(m: ManagerRecord) -> PublicRecord:
    """What a user's ``ManagerSelector.sort_managers`` is told about manager ``m`` (Parsl's keys)."""
    return {
        "block_id": m.block_id,
        "start_time": m.start_time,
        "tasks": list(m.tasks),
        "worker_count": m.worker_count,
        "max_capacity": len(m.tasks) + m.free,
        "active": True,
        "draining": m.draining,
        "hostname": m.hostname,
        "last_heartbeat": m.last_heartbeat,
    }


class SlotHeap:
    """Managers with free slots, best first: block rank, most idle workers, most free slots, oldest.

    Entries are pushed whenever a manager's load changes and checked when
    popped: an entry that no longer matches its manager is stale and dropped.
    """

    def __init__(self, prefer_newest_block: bool) -> None:
        self.prefer_newest_block = prefer_newest_block
        self._heap: list[tuple[float, int, int, int, str]] = []

    def offer(self, manager: ManagerRecord, managers: Mapping[str, ManagerRecord]) -> None:
        """Record the manager's current load (if it can take a task); drop stale entries now and then."""
        if manager.free > 0 and not manager.draining:
            heapq.heappush(self._heap, self._entry(manager))
        if len(self._heap) > 2 * len(managers) + 64:
            self.rebuild(managers.values())

    def rebuild(self, managers: Iterable[ManagerRecord]) -> None:
        """Start again from the managers' current loads."""
        self._heap = [self._entry(m) for m in managers if m.free > 0 and not m.draining]
        heapq.heapify(self._heap)

    def best(self, managers: Mapping[str, ManagerRecord]) -> ManagerRecord | None:
        """Pop the manager the next task goes to, or None if none has a free slot."""
        while self._heap:
            entry = heapq.heappop(self._heap)
            manager = managers.get(entry[-1])
            if manager is not None and not manager.draining and self._entry(manager) == entry:
                return manager
        return None

    def _entry(self, m: ManagerRecord) -> tuple[float, int, int, int, str]:
        rank = 0.0
        if self.prefer_newest_block:  # the highest block id first (numerically, not as text)
            bid = m.block_id
            rank = -float(bid) if bid is not None and bid.isdigit() else float("inf")
        return (rank, min(0, len(m.tasks) - m.capacity), -m.free, m.registration_seq, m.manager_id)


def check_manager_id(manager_id: object) -> None:
    if type(manager_id) is not str or not manager_id:
        raise InvalidDispatchEvent(f"manager_id must be a non-empty str, got {manager_id!r}")


def check_count(name: str, value: object) -> None:
    if type(value) is not int or value < 0:
        raise InvalidDispatchEvent(f"{name} must be an int >= 0, got {value!r}")


def check_task_id(task_id: object) -> None:
    if type(task_id) is not int:
        raise InvalidDispatchEvent(f"task_id must be int, got {task_id!r}")


def check_time(name: str, value: object) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise InvalidDispatchEvent(f"{name} must be a finite number, got {value!r}")

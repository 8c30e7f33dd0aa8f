"""The interchange's task-assignment state machine, without I/O.

:class:`TaskDispatch` takes events (a manager registered, a task was
submitted, a result came back, time passed ...) as method calls and returns
the instructions the I/O shell must carry out (send this task to that
manager, fail that task, tell this manager it is drained ...). It never reads
a clock, touches a socket or starts a thread: time is an argument, so every
behaviour is testable by feeding events.

Rules:

* A manager holds at most ``worker_count + prefetch_capacity`` tasks.
* Queued tasks go out by priority: a **lower number runs first** (as with
  Parsl's htex ``priority`` resource specification); a task without a
  priority runs after every task with one; equal priorities run in
  submission order.
* Each task goes to the eligible manager with the most free slots (with
  ``prefer_oldest_block``: of the lowest-numbered block first) (ties: the
  one registered first).
* A draining manager gets no new tasks; once idle it is reported with
  :class:`DrainedManager` and forgotten.
* A manager silent for more than ``heartbeat_threshold`` seconds at a
  :meth:`TaskDispatch.tick` is lost: :class:`ManagerRemoved`, then one
  :class:`FailTask` (reason :class:`ManagerLost`) per task it held.
* Messages from managers that are not registered (results, heartbeats,
  reports) are counted in :class:`DispatchCounters` and otherwise ignored,
  or answered with :class:`RejectManager`: a remote peer can never make the
  dispatch raise. Invalid arguments from the local caller raise
  :class:`InvalidDispatchEvent`.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from parsl.executors.high_throughput.errors import InvalidDispatchEvent, ManagerLost, WorkerLost
from parsl.executors.high_throughput.instructions import (
    DrainedManager,
    FailTask,
    Instruction,
    ManagerRemoved,
    RejectManager,
    SendTask,
)

__all__ = [
    "DispatchCounters",
    "DrainedManager",
    "FailTask",
    "Instruction",
    "ManagerLoad",
    "ManagerRemoved",
    "RejectManager",
    "SendTask",
    "TaskDispatch",
]


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
        """The most tasks this manager may hold at once."""
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
    rejected_registrations: int = 0


@dataclass(eq=False)
class _Manager:
    manager_id: str
    block_id: str | None
    worker_count: int
    prefetch_capacity: int
    last_heartbeat: float
    registration_seq: int
    tasks: set[int] = field(default_factory=set)
    draining: bool = False

    @property
    def free(self) -> int:
        return self.worker_count + self.prefetch_capacity - len(self.tasks)


class TaskDispatch:
    """Assigns queued tasks to managers; events in, instructions out, no I/O.

    ``heartbeat_threshold`` is in the same unit as the ``now`` values passed
    in (seconds, normally).
    """

    def __init__(self, heartbeat_threshold: float, prefer_oldest_block: bool = False) -> None:
        _check_time("heartbeat_threshold", heartbeat_threshold)
        if heartbeat_threshold <= 0:
            raise InvalidDispatchEvent(
                f"heartbeat_threshold must be > 0 seconds, got {heartbeat_threshold}"
            )
        self.heartbeat_threshold = heartbeat_threshold
        self.prefer_oldest_block = prefer_oldest_block
        self.counters = DispatchCounters()
        self._queue: list[tuple[float, int, int]] = []  # (priority key, submission seq, task)
        self._queued: dict[int, Mapping[str, Any]] = {}  # task -> resource spec
        self._assigned: dict[int, str] = {}  # task -> manager
        self._managers: dict[str, _Manager] = {}
        self._seen_ids: set[str] = set()  # every manager id that ever tried to register
        self._cancelled_blocks: set[str] = set()
        # (block rank, -free, registration seq, manager); block rank is 0 unless prefer_oldest_block
        self._free_heap: list[tuple[float, int, int, str]] = []
        self._seq = 0

    # ----------------------------------------------------------------- events

    def manager_registered(
        self,
        manager_id: str,
        worker_count: int,
        prefetch_capacity: int,
        block_id: str | None,
        *,
        now: float,
    ) -> list[Instruction]:
        """A manager connected with ``worker_count + prefetch_capacity`` task slots."""
        _check_manager_id(manager_id)
        _check_count("worker_count", worker_count)
        _check_count("prefetch_capacity", prefetch_capacity)
        if block_id is not None and type(block_id) is not str:
            raise InvalidDispatchEvent(f"block_id must be str or None, got {block_id!r}")
        _check_time("now", now)
        reason = None
        if manager_id in self._seen_ids:
            reason = f"manager id {manager_id!r} was already registered"
        elif block_id in self._cancelled_blocks:
            reason = f"block {block_id!r} was cancelled"
        self._seen_ids.add(manager_id)  # a rejected id stays rejected
        if reason is not None:
            self.counters.rejected_registrations += 1
            return [RejectManager(manager_id, reason)]
        manager = _Manager(
            manager_id, block_id, worker_count, prefetch_capacity, now, self._next_seq()
        )
        self._managers[manager_id] = manager
        self._offer(manager)
        return self._fill()

    def task_submitted(
        self,
        task_id: int,
        priority: float | None = None,
        resource_spec: Mapping[str, Any] | None = None,
    ) -> list[Instruction]:
        """A task arrived from the executor; lower ``priority`` runs first, None runs last."""
        _check_task_id(task_id)
        if task_id in self._queued or task_id in self._assigned:
            raise InvalidDispatchEvent(f"task {task_id} was submitted twice")
        if priority is None:
            key = math.inf
        else:
            _check_time("priority", priority)
            key = float(priority)
        if resource_spec is None:
            resource_spec = {}
        if not isinstance(resource_spec, Mapping) or not all(type(k) is str for k in resource_spec):
            raise InvalidDispatchEvent(
                f"resource_spec must be a mapping with str keys, got {resource_spec!r}"
            )
        heapq.heappush(self._queue, (key, self._next_seq(), task_id))
        self._queued[task_id] = dict(resource_spec)
        return self._fill()

    def result_received(self, manager_id: str, task_id: int) -> list[Instruction]:
        """Manager ``manager_id`` returned the result of ``task_id``."""
        manager = self._holder(manager_id, task_id)
        if manager is None:
            self.counters.ignored_results += 1
            return []
        return self._finish(manager, task_id, [])

    def worker_lost(self, manager_id: str, task_id: int, reason: str) -> list[Instruction]:
        """The worker running ``task_id`` on ``manager_id`` died; the task fails with WorkerLost."""
        manager = self._holder(manager_id, task_id)
        if manager is None:
            self.counters.ignored_worker_losses += 1
            return []
        return self._finish(manager, task_id, [FailTask(task_id, WorkerLost(manager_id, reason))])

    def manager_lost(self, manager_id: str, reason: str = "connection lost") -> list[Instruction]:
        """The shell saw the manager go away; its tasks fail with ManagerLost."""
        manager = self._managers.get(manager_id)
        if manager is None:
            self.counters.ignored_manager_losses += 1
            return []
        return self._remove(manager, reason)

    def heartbeat(self, manager_id: str, now: float) -> list[Instruction]:
        """The manager showed it is alive at time ``now``."""
        _check_time("now", now)
        manager = self._managers.get(manager_id)
        if manager is None:
            self.counters.ignored_heartbeats += 1
            return [RejectManager(manager_id, "heartbeat from a manager that is not registered")]
        manager.last_heartbeat = max(manager.last_heartbeat, now)
        return []

    def tick(self, now: float) -> list[Instruction]:
        """Time is ``now``: managers silent for longer than the threshold are lost."""
        _check_time("now", now)
        out: list[Instruction] = []
        for manager in list(self._managers.values()):
            silence = now - manager.last_heartbeat
            if silence > self.heartbeat_threshold:
                reason = (
                    f"no heartbeat for {silence:g} s "
                    f"(heartbeat_threshold is {self.heartbeat_threshold:g} s)"
                )
                out += self._remove(manager, reason)
        return out

    def drain_manager(self, manager_id: str) -> list[Instruction]:
        """The manager takes no new tasks; DrainedManager follows once it is idle."""
        manager = self._managers.get(manager_id)
        if manager is None:
            self.counters.ignored_drains += 1
            return []
        manager.draining = True
        if manager.tasks:
            return []
        del self._managers[manager_id]
        return [DrainedManager(manager_id)]

    def block_cancelled(self, block_id: str) -> list[Instruction]:
        """The block was cancelled: its managers are lost, and late registrations from it refused."""
        if type(block_id) is not str:
            raise InvalidDispatchEvent(f"block_id must be str, got {block_id!r}")
        self._cancelled_blocks.add(block_id)
        out: list[Instruction] = []
        for manager in list(self._managers.values()):
            if manager.block_id == block_id:
                out += self._remove(manager, f"block {block_id!r} was cancelled")
        return out

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
        """Free task slots on managers that accept new tasks."""
        return sum(m.free for m in self._managers.values() if not m.draining)

    # -------------------------------------------------------------- internals

    def _next_seq(self) -> int:
        self._seq += 1
        return self._seq

    def _holder(self, manager_id: str, task_id: int) -> _Manager | None:
        """The manager, if it is registered and holds ``task_id``."""
        _check_task_id(task_id)
        if self._assigned.get(task_id) != manager_id:
            return None
        return self._managers[manager_id]

    def _finish(self, manager: _Manager, task_id: int, out: list[Instruction]) -> list[Instruction]:
        manager.tasks.discard(task_id)
        del self._assigned[task_id]
        if manager.draining:
            if not manager.tasks:
                del self._managers[manager.manager_id]
                out.append(DrainedManager(manager.manager_id))
            return out
        self._offer(manager)
        out += self._fill()
        return out

    def _remove(self, manager: _Manager, reason: str) -> list[Instruction]:
        del self._managers[manager.manager_id]
        out: list[Instruction] = [ManagerRemoved(manager.manager_id, reason)]
        for task_id in sorted(manager.tasks):
            del self._assigned[task_id]
            out.append(FailTask(task_id, ManagerLost(manager.manager_id, reason)))
        manager.tasks.clear()
        return out

    def _offer(self, manager: _Manager) -> None:
        """Record the manager's current free slots in the (lazily cleaned) free heap."""
        if manager.free > 0 and not manager.draining:
            heapq.heappush(self._free_heap, self._entry(manager))
        if len(self._free_heap) > 2 * len(self._managers) + 64:
            self._free_heap = [
                self._entry(m) for m in self._managers.values() if m.free > 0 and not m.draining
            ]
            heapq.heapify(self._free_heap)

    def _entry(self, m: _Manager) -> tuple[float, int, int, str]:
        rank = 0.0
        if self.prefer_oldest_block:
            bid = m.block_id
            rank = float(bid) if bid is not None and bid.isdigit() else float("inf")
        return (rank, -m.free, m.registration_seq, m.manager_id)

    def _fill(self) -> list[Instruction]:
        """Send queued tasks, highest priority first, to the managers with most free slots."""
        out: list[Instruction] = []
        while self._queue and self._free_heap:
            _, negative_free, _, manager_id = heapq.heappop(self._free_heap)
            manager = self._managers.get(manager_id)
            if manager is None or manager.draining or manager.free != -negative_free:
                continue  # a stale entry: the manager left or its load changed since
            _, _, task_id = heapq.heappop(self._queue)
            resource_spec = self._queued.pop(task_id)
            manager.tasks.add(task_id)
            self._assigned[task_id] = manager_id
            out.append(SendTask(manager_id, task_id, resource_spec))
            self._offer(manager)
        return out


def _check_manager_id(manager_id: object) -> None:
    if type(manager_id) is not str or not manager_id:
        raise InvalidDispatchEvent(f"manager_id must be a non-empty str, got {manager_id!r}")


def _check_count(name: str, value: object) -> None:
    if type(value) is not int or value < 0:
        raise InvalidDispatchEvent(f"{name} must be an int >= 0, got {value!r}")


def _check_task_id(task_id: object) -> None:
    if type(task_id) is not int:
        raise InvalidDispatchEvent(f"task_id must be int, got {task_id!r}")


def _check_time(name: str, value: object) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise InvalidDispatchEvent(f"{name} must be a finite number, got {value!r}")

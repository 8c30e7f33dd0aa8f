"""The interchange's task-assignment state machine, without I/O.

:class:`TaskDispatch` takes events (a manager registered, a task was
submitted, a result came back, time passed ...) as method calls and returns
the instructions the I/O shell must carry out (send this task to that
manager, fail that task, tell this manager it is drained ...). It never reads
a clock, touches a socket or starts a thread: time is an argument, so every
behaviour is testable by feeding events.

Rules:

* A manager holds at most ``worker_count + prefetch_capacity`` tasks, plus
  its ``lookahead`` (registered by the manager) while lookahead is on: tasks
  it keeps ready so that a worker that finishes starts its next task without
  waiting for a round trip to the interchange.
* Lookahead never costs load balance: when no task is queued and a manager
  has idle workers, managers holding tasks beyond their capacity are asked
  (:class:`ReclaimTasks`, one request in flight per manager) to give back
  tasks they have not started; :meth:`TaskDispatch.tasks_returned` queues
  them again in their original place. A draining manager is asked the same.
* Lookahead stops for good at the first task submitted with a priority (and
  held lookahead tasks are reclaimed), so that priorities order every task
  that has not started, exactly as without lookahead.
* Queued tasks go out by priority: a **lower number runs first** (as with
  Parsl's htex ``priority`` resource specification); a task without a
  priority runs after every task with one; equal priorities run in
  submission order.
* Each task goes to the eligible manager with the most idle workers, then
  the most free slots, lookahead included (with ``prefer_newest_block``: of
  the lowest-numbered block first) (ties: the one registered first).
  With a ``selector`` of the user's own, its ``sort_managers`` orders the
  managers with free slots instead, and each is filled in that order from
  the end of the list (the last first, as in Parsl); a
  selector that raises is logged once and the rule above applies.
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
from typing import Any

from parsl.executors.high_throughput.dispatch_records import (
    DispatchCounters,
    ManagerLoad,
    ManagerRecord,
    check_count,
    check_manager_id,
    check_task_id,
    check_time,
)
from parsl.executors.high_throughput.dispatch_selector import selector_order
from parsl.executors.high_throughput.dispatch_state import DispatchState
from parsl.executors.high_throughput.errors import InvalidDispatchEvent, ManagerLost, WorkerLost
from parsl.executors.high_throughput.instructions import (
    DrainedManager,
    FailTask,
    Instruction,
    ManagerRemoved,
    ReclaimTasks,
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
    "ReclaimTasks",
    "RejectManager",
    "SendTask",
    "TaskDispatch",
]


class TaskDispatch(DispatchState):
    """Assigns queued tasks to managers; events in, instructions out, no I/O.

    ``heartbeat_threshold`` is in the same unit as the ``now`` values passed
    in (seconds, normally). The state and the read-only queries are in
    :class:`~parsl.executors.high_throughput.dispatch_state.DispatchState`.
    """

    # ----------------------------------------------------------------- events

    def manager_registered(
        self,
        manager_id: str,
        worker_count: int,
        prefetch_capacity: int,
        block_id: str | None,
        *,
        now: float,
        lookahead: int = 0,
        hostname: str = "",
    ) -> list[Instruction]:
        """A manager connected with ``worker_count + prefetch_capacity`` task slots (and lookahead)."""
        check_manager_id(manager_id)
        check_count("worker_count", worker_count)
        check_count("prefetch_capacity", prefetch_capacity)
        check_count("lookahead", lookahead)
        if block_id is not None and type(block_id) is not str:
            raise InvalidDispatchEvent(f"block_id must be str or None, got {block_id!r}")
        check_time("now", now)
        reason = None
        if manager_id in self._seen_ids:
            reason = f"manager id {manager_id!r} was already registered"
        elif block_id in self._cancelled_blocks:
            reason = f"block {block_id!r} was cancelled"
        self._seen_ids.add(manager_id)  # a rejected id stays rejected
        if reason is not None:
            self.counters.rejected_registrations += 1
            return [RejectManager(manager_id, reason)]
        manager = ManagerRecord(
            manager_id,
            block_id,
            worker_count,
            prefetch_capacity,
            now,
            self._next_seq(),
            lookahead if self._lookahead_on else 0,
            hostname=hostname,
            start_time=now,
        )
        self._managers[manager_id] = manager
        self._slots.offer(manager, self._managers)
        out = self._fill()
        out += self._rebalance(manager)
        return out

    def task_submitted(
        self,
        task_id: int,
        priority: float | None = None,
        resource_spec: Mapping[str, Any] | None = None,
    ) -> list[Instruction]:
        """A task arrived from the executor; lower ``priority`` runs first, None runs last."""
        check_task_id(task_id)
        if task_id in self._queued or task_id in self._assigned:
            raise InvalidDispatchEvent(f"task {task_id} was submitted twice")
        out: list[Instruction] = []
        if priority is None:
            key = math.inf
        else:
            check_time("priority", priority)
            key = float(priority)
            if self._lookahead_on:
                out = self._stop_lookahead()
        if resource_spec is None:
            resource_spec = {}
        if not isinstance(resource_spec, Mapping) or not all(type(k) is str for k in resource_spec):
            raise InvalidDispatchEvent(
                f"resource_spec must be a mapping with str keys, got {resource_spec!r}"
            )
        heapq.heappush(self._queue, (key, self._next_seq(), task_id))
        self._queued[task_id] = dict(resource_spec)
        out += self._fill()
        return out

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
        return self._finish(
            manager, task_id, [FailTask(task_id, WorkerLost(manager_id, reason, manager.hostname))]
        )

    def manager_lost(self, manager_id: str, reason: str = "connection lost") -> list[Instruction]:
        """The shell saw the manager go away; its tasks fail with ManagerLost."""
        manager = self._managers.get(manager_id)
        if manager is None:
            self.counters.ignored_manager_losses += 1
            return []
        return self._remove(manager, reason)

    def tasks_returned(self, manager_id: str, task_ids: list[int]) -> list[Instruction]:
        """The manager answered a :class:`ReclaimTasks`, giving back ``task_ids`` (maybe none).

        Each returned task is queued again in the place it had; ids the
        manager does not hold are counted and ignored.
        """
        if not isinstance(task_ids, list):
            raise InvalidDispatchEvent(f"task_ids must be a list, got {task_ids!r}")
        for task_id in task_ids:
            check_task_id(task_id)
        manager = self._managers.get(manager_id)
        if manager is None:
            self.counters.ignored_returns += 1
            return []
        if manager.reclaims:
            manager.reclaims.popleft()
        for task_id in task_ids:
            if self._assigned.get(task_id) != manager_id:
                self.counters.ignored_returns += 1
                continue
            manager.tasks.discard(task_id)
            del self._assigned[task_id]
            key, seq, spec = self._sent.pop(task_id)
            heapq.heappush(self._queue, (key, seq, task_id))
            self._queued[task_id] = spec
        out: list[Instruction] = []
        if manager.draining:
            if not manager.tasks:
                del self._managers[manager_id]
                out.append(DrainedManager(manager_id))
        else:
            self._slots.offer(manager, self._managers)
        out += self._fill()
        out += self._rebalance_all()
        return out

    def heartbeat(self, manager_id: str, now: float) -> list[Instruction]:
        """The manager showed it is alive at time ``now``."""
        check_time("now", now)
        manager = self._managers.get(manager_id)
        if manager is None:
            self.counters.ignored_heartbeats += 1
            return [RejectManager(manager_id, "heartbeat from a manager that is not registered")]
        manager.last_heartbeat = max(manager.last_heartbeat, now)
        return []

    def tick(self, now: float) -> list[Instruction]:
        """Time is ``now``: managers silent for longer than the threshold are lost."""
        check_time("now", now)
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
            return self._reclaim(manager, manager.excess)
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

    # -------------------------------------------------------------- internals

    def _next_seq(self) -> int:
        self._seq += 1
        return self._seq

    def _holder(self, manager_id: str, task_id: int) -> ManagerRecord | None:
        """The manager, if it is registered and holds ``task_id``."""
        check_task_id(task_id)
        if self._assigned.get(task_id) != manager_id:
            return None
        return self._managers[manager_id]

    def _finish(
        self, manager: ManagerRecord, task_id: int, out: list[Instruction]
    ) -> list[Instruction]:
        manager.tasks.discard(task_id)
        del self._assigned[task_id]
        del self._sent[task_id]
        if manager.draining:
            if not manager.tasks:
                del self._managers[manager.manager_id]
                out.append(DrainedManager(manager.manager_id))
            return out
        self._slots.offer(manager, self._managers)
        out += self._fill()
        out += self._rebalance(manager)
        return out

    def _rebalance(self, idle: ManagerRecord) -> list[Instruction]:
        """No task is queued and ``idle`` has idle workers: reclaim unstarted lookahead tasks."""
        want = idle.idle_workers
        if self._queue or want <= 0 or idle.draining or not self._holders:
            return []
        out: list[Instruction] = []
        for holder_id in list(self._holders):
            holder = self._managers.get(holder_id)
            if holder is None or holder.excess <= 0:
                del self._holders[holder_id]
                continue
            asked = self._reclaim(holder, want)
            out += asked
            want -= sum(r.count for r in asked if isinstance(r, ReclaimTasks))
            if want <= 0:
                break
        return out

    def _rebalance_all(self) -> list[Instruction]:
        """After a reclaim was answered or lost: idle workers anywhere may still wait (O(managers))."""
        out: list[Instruction] = []
        for manager in list(self._managers.values()):
            if not self._holders:
                break
            out += self._rebalance(manager)
        return out

    def _reclaim(self, manager: ManagerRecord, count: int) -> list[Instruction]:
        count = min(count, manager.reclaimable)
        if count <= 0:
            return []
        manager.reclaims.append(count)
        return [ReclaimTasks(manager.manager_id, count)]

    def _stop_lookahead(self) -> list[Instruction]:
        """The first task with a priority: no more lookahead, and held lookahead tasks come back."""
        self._lookahead_on = False
        out: list[Instruction] = []
        for manager in self._managers.values():
            manager.lookahead = 0
            out += self._reclaim(manager, manager.excess)
        self._holders.clear()
        self._slots.rebuild(self._managers.values())
        return out

    def _remove(self, manager: ManagerRecord, reason: str) -> list[Instruction]:
        del self._managers[manager.manager_id]
        out: list[Instruction] = [ManagerRemoved(manager.manager_id, reason)]
        for task_id in sorted(manager.tasks):
            del self._assigned[task_id]
            del self._sent[task_id]
            out.append(FailTask(task_id, ManagerLost(manager.manager_id, reason, manager.hostname)))
        manager.tasks.clear()
        if manager.reclaims:  # the tasks it was asked for are lost with it
            out += self._rebalance_all()
        return out

    def _fill(self) -> list[Instruction]:
        """Send queued tasks, highest priority first, to the managers with most free slots."""
        out: list[Instruction] = []
        if self.selector is not None and self._queue:
            order = selector_order(self.selector, self._managers, self.counters)
            if order is not None:
                for chosen in order:
                    while self._queue and chosen.free > 0:
                        out.append(self._assign(chosen))
                return out
        while self._queue:
            manager = self._slots.best(self._managers)
            if manager is None:
                break
            out.append(self._assign(manager))
        return out

    def _assign(self, manager: ManagerRecord) -> SendTask:
        """Give the first queued task to ``manager``."""
        manager_id = manager.manager_id
        key, seq, task_id = heapq.heappop(self._queue)
        resource_spec = self._queued.pop(task_id)
        manager.tasks.add(task_id)
        self._assigned[task_id] = manager_id
        self._sent[task_id] = (key, seq, resource_spec)
        if manager.lookahead and manager.excess > 0:
            self._holders[manager_id] = None
        self._slots.offer(manager, self._managers)
        return SendTask(manager_id, task_id, resource_spec)

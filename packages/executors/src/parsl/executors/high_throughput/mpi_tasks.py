"""The manager's MPI-mode task queue: tasks wait here until their nodes are free.

A task leaves the queue when a worker is idle and :class:`NodeAllocator`
can give it ``num_nodes`` nodes; it is re-encoded with the MPI variables in
``resource_spec["env"]`` (the worker sets them while the task runs). Its
nodes come back when the task's result (or loss) is seen. Tasks are taken
in arrival order, and a later task that fits runs before an earlier one that
does not (backfill). A task that cannot run in this block at all gets a
failed result at once.
"""

from __future__ import annotations

from collections import deque

from parsl.app.errors import RemoteExceptionWrapper
from parsl.executors.errors import InvalidResourceSpecification
from parsl.executors.high_throughput.mpi_resources import (
    MPITaskSpec,
    NodeAllocator,
    parse_mpi_spec,
    task_environment,
)
from parsl.executors.high_throughput.protocol import Result, Task
from parsl.serialize import serialize


class MPITaskQueue:
    """MPI tasks waiting for nodes in one manager's block."""

    def __init__(self, launcher: str, nodes: list[str], *, openmpi: bool = False) -> None:
        self.launcher = launcher
        self.openmpi = openmpi
        self.allocator = NodeAllocator(nodes)
        self.waiting: list[tuple[Task, MPITaskSpec]] = []

    def add(self, task: Task) -> bytes | None:
        """Queue ``task``; return a RESULT frame carrying the error if it can never run here."""
        try:
            spec = parse_mpi_spec(task.resource_spec, len(self.allocator.nodes))
        except InvalidResourceSpecification as e:
            wrapped = RemoteExceptionWrapper(type(e), e, e.__traceback__)
            return Result(task_id=task.task_id, payload=serialize(wrapped)).encode()
        self.waiting.append((task, spec))
        return None

    def finished(self, task_ids: list[int]) -> None:
        """These tasks ended: their nodes are free again."""
        for task_id in task_ids:
            self.allocator.release(task_id)

    def ready(self, idle_workers: int) -> deque[tuple[int, bytes]]:
        """Up to ``idle_workers`` tasks whose nodes were just allocated, as frames for workers."""
        out: deque[tuple[int, bytes]] = deque()
        still: list[tuple[Task, MPITaskSpec]] = []
        for task, spec in self.waiting:
            nodes = None
            if len(out) < idle_workers:
                nodes = self.allocator.allocate(task.task_id, spec.num_nodes)
            if nodes is None:
                still.append((task, spec))
                continue
            env = task_environment(self.launcher, spec, nodes, openmpi=self.openmpi)
            frame = Task(
                task_id=task.task_id,
                priority=task.priority,
                resource_spec={"env": env},
                payload=task.payload,
            ).encode()
            out.append((task.task_id, frame))
        self.waiting = still
        return out

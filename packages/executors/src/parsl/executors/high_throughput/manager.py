"""The per-node manager: registers with the interchange and feeds its worker processes.

One manager runs per node of a block (see :mod:`.worker_pool` for its
command line). It keeps ``worker_count`` worker processes (see
:mod:`.worker_processes`), holds up to ``worker_count + prefetch_capacity``
tasks, and passes frames through without re-encoding them. A worker that
dies is reported (TASK_LOST for the task it held) and replaced. It talks to
the interchange over one TCP connection (:mod:`.tcp_links`), or CurveZMQ
(:mod:`.zmq_links`) when encrypted. The manager exits when the interchange
says SHUTDOWN or rejects it, when its connection closes, after
``drain_period`` once drained, or by itself once the interchange has been
silent for ``heartbeat_threshold`` seconds.
"""

from __future__ import annotations

import logging
import os
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from parsl.executors.high_throughput.mpi_tasks import MPITaskQueue
from parsl.executors.high_throughput.protocol import (
    Accepted,
    Drain,
    Heartbeat,
    Reclaim,
    Reclaimed,
    Register,
    Rejected,
    Shutdown,
    Task,
    decode,
)
from parsl.executors.high_throughput.tcp_links import TcpLink
from parsl.executors.high_throughput.worker_processes import WorkerProcesses, WorkersFailing
from parsl.executors.high_throughput.zmq_links import ZmqLink

logger = logging.getLogger("parsl.executors.high_throughput.manager")

WORKER_CHECK_PERIOD_S = 0.05
LOOKAHEAD_PER_WORKER = 1
"""Tasks held per worker beyond its own (and ``prefetch_capacity``), given back on RECLAIM.

A worker that finishes starts the next one at once instead of waiting for a
round trip to the interchange; the interchange takes back any a worker
elsewhere could start sooner, so load balance is as without it."""
MONITORING_DELAY_S = 0.1
"""How long workers' monitoring frames may wait for a result to travel with (fewer wakeups)."""


@dataclass(frozen=True)
class ManagerSettings:
    """Everything a manager needs, from its command line."""

    address: str
    port: int
    manager_id: str
    block_id: str | None
    worker_count: int
    prefetch_capacity: int
    heartbeat_period: float
    heartbeat_threshold: float
    poll_period_ms: int
    drain_period: float | None
    logdir: str
    debug: bool
    cert_dir: str | None
    cpu_sets: list[str] = field(default_factory=list)
    accelerators: list[str] = field(default_factory=list)
    mpi_launcher: str | None = None
    mpi_nodes: list[str] = field(default_factory=list)
    openmpi: bool = False
    log_config_path: str | None = None
    """The run's pickled ``Config(initialize_logging=LogConfig)``, for the manager and its workers."""


class ManagerExit(Exception):
    """Raised inside the manager loop to stop it; the text says why, ``failed`` whether it is an error."""

    def __init__(self, reason: str, *, failed: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.failed = failed


class Manager:
    """Registers with the interchange, runs tasks on workers, returns results."""

    def __init__(self, settings: ManagerSettings) -> None:
        self.settings = settings
        self.interchange: TcpLink | ZmqLink = (
            TcpLink(settings.address, settings.port, settings.manager_id)
            if settings.cert_dir is None
            else ZmqLink(settings.address, settings.port, settings.manager_id, settings.cert_dir)
        )
        self.workers = WorkerProcesses(
            settings.manager_id,
            settings.block_id,
            settings.worker_count,
            settings.logdir,
            settings.debug,
            settings.cpu_sets,
            settings.accelerators,
            settings.log_config_path,
        )
        self.pending: deque[tuple[int, bytes]] = deque()
        self.mpi: MPITaskQueue | None = None
        if settings.mpi_launcher is not None:
            self.mpi = MPITaskQueue(
                settings.mpi_launcher, settings.mpi_nodes, openmpi=settings.openmpi
            )
        self.to_interchange: list[bytes] = []
        self.last_heard = time.monotonic()
        self.started = time.monotonic()
        self.draining = False

    # ----------------------------------------------------------- interchange

    def _from_interchange(self) -> None:
        frames = self.interchange.receive()
        if frames:
            self.last_heard = time.monotonic()
        for frame in frames:
            msg = decode(frame)
            if isinstance(msg, Task):
                self._accept(msg, frame)
            elif isinstance(msg, Reclaim):
                self._give_back(msg.count)
            elif isinstance(msg, Shutdown):
                raise ManagerExit(f"interchange said shutdown: {msg.reason}")
            elif isinstance(msg, Rejected):
                raise ManagerExit(f"interchange rejected this manager: {msg.reason}", failed=True)
            elif not isinstance(msg, Heartbeat | Accepted):
                logger.error("unexpected %s from the interchange", msg.kind)
        if self.interchange.lost:
            raise ManagerExit("the interchange closed the connection")

    def _accept(self, task: Task, frame: bytes) -> None:
        if self.mpi is None:
            self.pending.append((task.task_id, frame))
            return
        refused = self.mpi.add(task)
        if refused is not None:
            self.to_interchange.append(refused)

    def _give_back(self, count: int) -> None:
        """Return up to ``count`` tasks not yet given to a worker, the latest first; say which."""
        self._assign()  # idle workers take theirs first
        self.to_interchange += (
            self.workers.outgoing
        )  # results first: they show whose workers are free
        self.workers.outgoing = []
        kept = max(0, len(self.pending) - count)
        returned = [self.pending.pop() for _ in range(len(self.pending) - kept)][::-1]
        self.to_interchange += [frame for _, frame in returned]
        self.to_interchange.append(
            Reclaimed(
                manager_id=self.settings.manager_id, task_ids=[t for t, _ in returned]
            ).encode()
        )

    def _assign(self) -> None:
        """Give idle workers pending tasks (in MPI mode, those whose nodes are free)."""
        finished, self.workers.finished = self.workers.finished, []
        if self.mpi is None:
            self.workers.assign(self.pending)
            return
        self.mpi.finished(finished)
        ready = self.mpi.ready(self.workers.idle_count())
        if ready:
            self.workers.assign(ready)

    def _register(self) -> None:
        s = self.settings
        deadline = time.monotonic() + s.heartbeat_threshold
        if not self.interchange.connect(deadline):
            raise self._unanswered()
        reg = Register.for_this_process(
            manager_id=s.manager_id,
            block_id=s.block_id,
            hostname=os.uname().nodename,
            worker_count=s.worker_count,
            prefetch_capacity=s.prefetch_capacity,
            lookahead=0 if self.mpi is not None else s.worker_count * LOOKAHEAD_PER_WORKER,
        )
        self.interchange.send([reg.encode()])
        frames: list[bytes] = []
        while time.monotonic() < deadline:
            self.interchange.flush()
            if not self.interchange.wait_readable(100):
                self.workers.reap()
                continue
            frames += self.interchange.receive()
            if not frames:
                if self.interchange.lost:
                    raise ManagerExit("the interchange closed the connection", failed=True)
                continue
            first = decode(frames[0])
            if isinstance(first, Rejected):
                raise ManagerExit(f"interchange rejected this manager: {first.reason}", failed=True)
            if isinstance(first, Accepted):
                for frame in frames[1:]:
                    msg = decode(frame)
                    if isinstance(msg, Task):
                        self._accept(msg, frame)
                self.last_heard = time.monotonic()
                logger.info("registered with the interchange at %s:%d", s.address, s.port)
                return
        raise self._unanswered()

    def _unanswered(self) -> ManagerExit:
        s = self.settings
        return ManagerExit(
            f"no answer from the interchange at {s.address}:{s.port} within "
            f"{s.heartbeat_threshold} s",
            failed=True,
        )

    # ------------------------------------------------------------------ loop

    def run(self) -> ManagerExit:
        """Serve until told to stop; return why it stopped."""
        try:
            self.workers.start_all()
            self._register()
            self._loop()
        except ManagerExit as e:
            return e
        except WorkersFailing as e:
            return ManagerExit(str(e), failed=True)
        raise AssertionError("the manager loop only ends with ManagerExit")  # pragma: no cover

    def _poller(self) -> tuple[Any, dict[int, bool]]:
        link, polling = self.interchange, self.interchange.polling
        poller = polling.new_poller()
        poller.register(link.poll_item, polling.IN | polling.OUT if link.pending else polling.IN)
        waits_to_write = dict(self.workers.poll_items())
        for fd, write in waits_to_write.items():
            poller.register(fd, polling.OUT if write else polling.IN)
        return poller, waits_to_write

    def _loop(self) -> None:
        s = self.settings
        workers = self.workers
        timeout_ms = max(1, min(s.poll_period_ms, int(WORKER_CHECK_PERIOD_S * 1000)))
        next_check = next_heartbeat = time.monotonic()
        poller, waits_to_write = self._poller()
        link, polling = self.interchange, self.interchange.polling
        link_item, out = link.poll_item, polling.OUT
        writing = link.pending
        while True:
            for item, events in poller.poll(timeout_ms):
                if item == link_item:
                    if events & out:
                        link.flush()
                    if events & ~out:
                        self._from_interchange()
                elif waits_to_write.get(item):
                    workers.writable(item)
                else:
                    workers.readable(item)
            self._assign()
            now = time.monotonic()
            if now >= next_check:
                workers.reap()
                self._assign()
                next_check = now + WORKER_CHECK_PERIOD_S
                if now - self.last_heard > s.heartbeat_threshold:
                    raise ManagerExit(
                        f"no message from the interchange for {now - self.last_heard:.1f} s"
                    )
                if (
                    s.drain_period is not None
                    and not self.draining
                    and now - self.started > s.drain_period
                ):
                    self.draining = True
                    self.to_interchange.append(Drain(manager_id=s.manager_id).encode())
            if now >= next_heartbeat:
                self.to_interchange.append(Heartbeat(manager_id=s.manager_id).encode())
                next_heartbeat = now + s.heartbeat_period
            if workers.monitoring and (
                workers.outgoing
                or self.to_interchange
                or now - workers.monitoring_since >= MONITORING_DELAY_S
            ):
                self.to_interchange += workers.monitoring
                workers.monitoring = []
            if workers.outgoing:
                self.to_interchange += workers.outgoing
                workers.outgoing = []
            if self.to_interchange:
                link.send(self.to_interchange)
                self.to_interchange = []
            if workers.changed:
                poller, waits_to_write = self._poller()
                writing = link.pending
            elif link.pending != writing:  # the interchange is slow to read
                writing = link.pending
                poller.modify(link_item, polling.IN | out if writing else polling.IN)
            if link.lost:
                raise ManagerExit("the interchange closed the connection")

    def close(self) -> None:
        """Stop every worker (SIGTERM, then SIGKILL after a grace period), close everything."""
        self.workers.stop_all()
        self.interchange.close()

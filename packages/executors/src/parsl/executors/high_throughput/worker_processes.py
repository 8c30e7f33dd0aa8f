"""A manager's worker processes: starting, feeding, reaping and replacing them.

Each worker gets a task pipe and a result pipe (see :mod:`.frame_pipe`) and
runs at most one task at a time. Result frames are passed through to the
interchange without being decoded: a worker answers its tasks in order,
so the slot knows which task each answer belongs to. MONITORING frames
(recognised by their header's first bytes) are passed through too. A worker that dies
(end-of-file on its result pipe, or found dead by :meth:`WorkerProcesses.reap`)
yields a TASK_LOST frame for the task it held, and is replaced.
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import time
from collections import deque
from dataclasses import dataclass

from parsl.executors.high_throughput.errors import HighThroughputError, ProtocolError
from parsl.executors.high_throughput.frame_pipe import FrameReader, FrameWriter
from parsl.executors.high_throughput.protocol import TaskLost, WorkerReady, decode, is_monitoring

logger = logging.getLogger("parsl.executors.high_throughput.manager")

MAX_FAILED_STARTS = 5
"""Workers in a row that may die before saying ready before the manager gives up."""

STOP_GRACE_S = 2.0


class WorkersFailing(HighThroughputError):
    """Worker processes keep dying before they are ready (a broken environment on the node)."""


@dataclass
class WorkerSlot:
    """One running worker process and the task it holds."""

    index: int
    worker_id: str
    process: subprocess.Popen[bytes]
    tasks: FrameWriter
    results: FrameReader
    ready: bool = False
    task_id: int | None = None


class WorkerProcesses:
    """The worker processes of one manager.

    ``outgoing`` collects the frames for the interchange (results and
    TASK_LOST reports); the manager sends and clears it. ``monitoring``
    collects the workers' MONITORING frames, which the manager sends in
    batches. ``finished`` collects
    the ids of tasks that ended (answered or lost); the manager clears it.
    ``changed`` is set whenever the descriptors to poll change.
    """

    def __init__(
        self,
        manager_id: str,
        block_id: str | None,
        count: int,
        logdir: str,
        debug: bool,
        cpu_sets: list[str],
        accelerators: list[str],
        log_config_path: str | None = None,
    ) -> None:
        self.manager_id = manager_id
        self.log_config_path = log_config_path
        """A pickled LogConfig each worker sets up as ``worker_<index>`` (None: a plain log file)."""
        self.block_id = block_id
        self.count = count
        self.logdir = logdir
        self.debug = debug
        self.cpu_sets = cpu_sets
        self.accelerators = accelerators
        self.by_result_fd: dict[int, WorkerSlot] = {}
        self.by_task_fd: dict[int, WorkerSlot] = {}
        self.outgoing: list[bytes] = []
        self.monitoring: list[bytes] = []
        self.monitoring_since = 0.0
        """When the oldest frame in :attr:`monitoring` arrived."""
        self.finished: list[int] = []
        self.changed = True
        self._failed_starts = 0
        self._generation = 0

    def start_all(self) -> None:
        for index in range(self.count):
            self._start(index)

    def _start(self, index: int) -> None:
        self._generation += 1
        worker_id = f"{self.manager_id}-w{index}-{self._generation}"
        env = dict(os.environ)
        env["PARSL_WORKER_RANK"] = str(index)
        env["PARSL_WORKER_COUNT"] = str(self.count)
        env["PARSL_WORKER_POOL_ID"] = self.manager_id
        env["PARSL_WORKER_BLOCK_ID"] = self.block_id or ""
        if self.accelerators:
            device = self.accelerators[index % len(self.accelerators)]
            for name in ("CUDA_VISIBLE_DEVICES", "ROCR_VISIBLE_DEVICES", "ZE_AFFINITY_MASK"):
                env[name] = device
        task_r, task_w = os.pipe()
        result_r, result_w = os.pipe()
        cmd = [sys.executable, "-m", "parsl.executors.high_throughput.worker"]
        cmd += ["--task-fd", str(task_r), "--result-fd", str(result_w), "--worker-id", worker_id]
        cmd += ["--logfile", os.path.join(self.logdir, f"worker_{index}.log")]
        if self.log_config_path is not None:
            cmd += ["--log-config", self.log_config_path]
        if self.cpu_sets:
            cpus = self.cpu_sets[index % len(self.cpu_sets)]
            cmd += ["--cpus", cpus]
            env["PARSL_CPUS"] = cpus
        if self.debug:
            cmd.append("--debug")
        try:
            process = subprocess.Popen(
                cmd, env=env, stdin=subprocess.DEVNULL, pass_fds=(task_r, result_w)
            )
        finally:
            os.close(task_r)
            os.close(result_w)
        slot = WorkerSlot(index, worker_id, process, FrameWriter(task_w), FrameReader(result_r))
        self.by_result_fd[result_r] = slot
        self.by_task_fd[task_w] = slot
        self.changed = True
        logger.info("started worker %s (pid %d)", worker_id, process.pid)

    # ---------------------------------------------------------------- events

    def poll_items(self) -> list[tuple[int, bool]]:
        """Each descriptor to poll and whether it waits for room to write (else for data)."""
        self.changed = False
        items = [(fd, False) for fd in self.by_result_fd]
        items += [(fd, True) for fd, slot in self.by_task_fd.items() if slot.tasks.pending]
        return items

    def readable(self, fd: int) -> None:
        """Read what worker ``fd`` sent; handle its death if the pipe closed."""
        slot = self.by_result_fd.get(fd)
        if slot is None:
            return
        for frame in slot.results.read_frames():
            if is_monitoring(frame):
                if not self.monitoring:
                    self.monitoring_since = time.monotonic()
                self.monitoring.append(frame)  # passed through, in batches (see Manager)
                continue
            if slot.task_id is not None:
                self.outgoing.append(frame)  # the task's RESULT, passed through as it is
                self.finished.append(slot.task_id)
                slot.task_id = None
                continue
            try:
                msg = decode(frame)
            except ProtocolError as e:
                logger.error("bad frame from worker %s: %s", slot.worker_id, e)
                continue
            if isinstance(msg, WorkerReady):
                slot.ready = True
                self._failed_starts = 0
        if slot.results.eof:
            self._lost(slot)

    def writable(self, fd: int) -> None:
        slot = self.by_task_fd.get(fd)
        if slot is not None:
            slot.tasks.flush()
            if not slot.tasks.pending:
                self.changed = True

    def idle_count(self) -> int:
        """Workers ready for a task and holding none."""
        return sum(
            1
            for slot in self.by_result_fd.values()
            if slot.ready and slot.task_id is None and not slot.tasks.broken
        )

    def assign(self, pending: deque[tuple[int, bytes]]) -> None:
        """Give each idle, ready worker the next pending task."""
        if not pending:
            return
        for slot in self.by_result_fd.values():
            if slot.ready and slot.task_id is None and not slot.tasks.broken:
                task_id, frame = pending.popleft()
                slot.task_id = task_id
                slot.tasks.send(frame)
                if slot.tasks.pending:
                    self.changed = True
                if not pending:
                    return

    def reap(self) -> None:
        """Find workers that died without closing their pipe first (a periodic check)."""
        for fd, slot in list(self.by_result_fd.items()):
            if slot.process.poll() is not None:
                self.readable(fd)  # a result written just before dying still counts
                self._lost(slot)

    # ------------------------------------------------------------- internals

    def _lost(self, slot: WorkerSlot) -> None:
        fd_r, fd_w = slot.results.fd, slot.tasks.fd
        if self.by_result_fd.pop(fd_r, None) is None:
            return
        self.by_task_fd.pop(fd_w, None)
        os.close(fd_r)
        os.close(fd_w)
        self.changed = True
        try:
            code = slot.process.wait(timeout=1.0)
        except subprocess.TimeoutExpired:
            slot.process.kill()
            code = slot.process.wait()
        how = f"signal {signal.Signals(-code).name}" if code < 0 else f"exit code {code}"
        reason = f"worker {slot.index} (pid {slot.process.pid}) died with {how}"
        logger.error("%s while holding task %s", reason, slot.task_id)
        if slot.task_id is not None:
            self.outgoing.append(TaskLost(task_id=slot.task_id, reason=reason).encode())
            self.finished.append(slot.task_id)
        if not slot.ready:
            self._failed_starts += 1
            if self._failed_starts >= MAX_FAILED_STARTS:
                raise WorkersFailing(f"{self._failed_starts} workers died before becoming ready")
        self._start(slot.index)

    def stop_all(self) -> None:
        """SIGTERM every worker, SIGKILL those alive after a grace period, reap all, close pipes."""
        slots = list(self.by_result_fd.values())
        for slot in slots:
            if slot.process.poll() is None:
                slot.process.terminate()
        deadline = time.monotonic() + STOP_GRACE_S
        for slot in slots:
            try:
                slot.process.wait(timeout=max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                slot.process.kill()
                slot.process.wait()
            os.close(slot.results.fd)
            os.close(slot.tasks.fd)
        self.by_result_fd.clear()
        self.by_task_fd.clear()

"""Resource samples of running tasks, taken on the worker with psutil.

One :class:`ResourceSampler` per worker process, made on first use (so a
run with ``resource_monitoring_enabled=False`` never imports psutil nor
starts a thread). Tasks register when they start; a daemon thread sends a
``RESOURCE_INFO`` message for each registered task every
``resource_monitoring_interval`` seconds, and :meth:`ResourceSampler.finish`
takes one last sample as the task ends, so a task shorter than the interval
still gets one row.

A sample describes the task's process plus its descendants: live children
found by the periodic scan (scanning every process on the node takes
milliseconds, too slow for the end of every short task), and children that
already exited and were reaped (a bash app's command), whose CPU time the
kernel accounts to this process (``RUSAGE_CHILDREN``).
"""

from __future__ import annotations

import logging
import os
import resource
import socket
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import psutil

from parsl.monitoring.radios.base import MonitoringRadioSender
from parsl.monitoring.types import MessageType

logger = logging.getLogger(__name__)

_HOSTNAME = socket.gethostname()


@dataclass
class _Watched:
    base: dict[str, Any]
    sender: MonitoringRadioSender
    interval: float
    next_due: float
    reaped_user: float
    reaped_system: float
    children: list[psutil.Process] = field(default_factory=list)


def _reaped_times() -> tuple[float, float]:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime, usage.ru_stime


class ResourceSampler:
    """Samples the registered tasks of this process; see the module docstring."""

    def __init__(self) -> None:
        self.process = psutil.Process(os.getpid())
        self._tasks: dict[tuple[str, int, int], _Watched] = {}
        self._lock = threading.Lock()
        self._wake = threading.Condition(self._lock)
        self._thread: threading.Thread | None = None

    def register(
        self,
        key: tuple[str, int, int],
        base: dict[str, Any],
        sender: MonitoringRadioSender,
        interval: float,
    ) -> None:
        """Start watching a task; ``base`` holds the keys every message of it carries."""
        self.process.cpu_percent(None)  # the next reading covers the task from here
        user, system = _reaped_times()
        now = time.monotonic()
        watched = _Watched(base, sender, interval, now + interval, user, system)
        with self._lock:
            self._tasks[key] = watched
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(
                    target=self._run, name="parsl-resource-sampler", daemon=True
                )
                self._thread.start()
            self._wake.notify()

    def finish(self, key: tuple[str, int, int]) -> dict[str, Any] | None:
        """Stop watching a task; return its final RESOURCE_INFO body (None if not watched)."""
        with self._lock:
            watched = self._tasks.pop(key, None)
        if watched is None:
            return None
        return self.sample(watched, scan_children=False)

    def _run(self) -> None:
        while True:
            with self._lock:
                now = time.monotonic()
                due = [w for w in self._tasks.values() if w.next_due <= now]
                for w in due:
                    w.next_due = now + w.interval
                if not due:
                    wait = min((w.next_due for w in self._tasks.values()), default=now + 60) - now
                    self._wake.wait(max(0.01, wait))
                    continue
            for w in due:
                try:
                    w.sender.send((MessageType.RESOURCE_INFO, self.sample(w, scan_children=True)))
                except Exception:
                    logger.exception("resource monitoring: could not send a sample")

    def sample(self, watched: _Watched, *, scan_children: bool) -> dict[str, Any]:
        """One RESOURCE_INFO body for ``watched``."""
        proc = self.process
        with proc.oneshot():
            mem = proc.memory_info()
            times = proc.cpu_times()
            ctx = proc.num_ctx_switches()
            body = dict(watched.base)
            body.update(
                timestamp=time.time(),
                hostname=_HOSTNAME,
                psutil_process_pid=proc.pid,
                psutil_process_cpu_percent=proc.cpu_percent(None),
                psutil_process_memory_percent=proc.memory_percent(),
                psutil_process_memory_virtual=mem.vms,
                psutil_process_memory_resident=mem.rss,
                psutil_process_time_user=times.user,
                psutil_process_time_system=times.system,
                psutil_process_status=proc.status(),
                psutil_process_num_threads=proc.num_threads(),
                psutil_process_num_ctx_switches_voluntary=ctx.voluntary,
                psutil_process_num_ctx_switches_involuntary=ctx.involuntary,
                psutil_cpu_num=proc.cpu_num() if hasattr(proc, "cpu_num") else None,
            )
            io = _io_counters(proc)
        user, system = _reaped_times()
        body["psutil_process_time_user"] += user - watched.reaped_user
        body["psutil_process_time_system"] += system - watched.reaped_system
        read, write = io
        if scan_children:
            try:
                watched.children = proc.children(recursive=True)
            except psutil.Error:
                watched.children = []
        alive = 0
        for child in watched.children:
            try:
                with child.oneshot():
                    cmem = child.memory_info()
                    ctimes = child.cpu_times()
                    cio = _io_counters(child)
            except psutil.Error:
                continue
            alive += 1
            body["psutil_process_memory_resident"] += cmem.rss
            body["psutil_process_memory_virtual"] += cmem.vms
            body["psutil_process_time_user"] += ctimes.user
            body["psutil_process_time_system"] += ctimes.system
            read += cio[0]
            write += cio[1]
        body["psutil_process_children_count"] = alive
        body["psutil_process_disk_read"] = read
        body["psutil_process_disk_write"] = write
        return body


def _io_counters(proc: psutil.Process) -> tuple[int, int]:
    try:
        io = proc.io_counters()
    except (psutil.Error, AttributeError, NotImplementedError):  # not readable on every system
        return 0, 0
    return io.read_bytes, io.write_bytes


_sampler: ResourceSampler | None = None
_sampler_lock = threading.Lock()


def process_sampler() -> ResourceSampler:
    """This process's sampler, made on first use (per process: a forked child makes its own)."""
    global _sampler
    with _sampler_lock:
        if _sampler is None or _sampler.process.pid != os.getpid():
            _sampler = ResourceSampler()
        return _sampler

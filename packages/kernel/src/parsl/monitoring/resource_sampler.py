"""Resource samples of running tasks, taken on the worker with psutil.

One :class:`ResourceSampler` per worker process, made on first use (so a
run with ``resource_monitoring_enabled=False`` never imports psutil nor
starts a thread). Tasks register when they start; a daemon thread sends a
``RESOURCE_INFO`` message for each registered task every
``resource_monitoring_interval`` seconds, and :meth:`ResourceSampler.finish`
takes one last sample as the task ends, so a task shorter than the interval
still gets one row.

The process's own figures come from ``/proc/self/stat`` and
``getrusage`` (disk read/write: the storage I/O the kernel accounts, as
psutil's ``read_bytes``/``write_bytes``); ``psutil_process_cpu_percent``
is the CPU time used since the task's previous sample over the wall time.

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
from parsl.monitoring.types import MessageType, TaggedMonitoringMessage

logger = logging.getLogger(__name__)

_HOSTNAME = socket.gethostname()

RUNNING_DELAY_S = 0.05
"""At most how long after its start a task's "running" message waits for the sampler's tick."""


@dataclass
class _Watched:
    base: dict[str, Any]
    sender: MonitoringRadioSender
    interval: float
    next_due: float
    reaped_user: float
    reaped_system: float
    cpu_seen: float
    wall_seen: float
    running: TaggedMonitoringMessage | None = None
    """The task's "running" message, until the thread sends it."""
    running_due: float = 0.0
    """When the thread sends ``running`` if the task has not ended by then."""
    children: list[psutil.Process] = field(default_factory=list)
    sampling: bool = False
    """True while the thread takes and sends a periodic sample of it (outside the lock)."""


def _reaped_times() -> tuple[float, float]:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime, usage.ru_stime


def _own_cpu_time() -> float:
    t = os.times()
    return t.user + t.system


_PROC_STATES = {
    "R": "running",
    "S": "sleeping",
    "D": "disk-sleep",
    "Z": "zombie",
    "T": "stopped",
    "t": "tracing-stop",
    "X": "dead",
    "I": "idle",
    "P": "parked",
    "W": "waking",
}
_CLOCK_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
_PAGE_SIZE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096


def _total_memory() -> int:
    try:
        return int(os.sysconf("SC_PHYS_PAGES")) * _PAGE_SIZE
    except (ValueError, OSError, AttributeError):  # pragma: no cover - not POSIX
        return int(psutil.virtual_memory().total)


class ResourceSampler:
    """Samples the registered tasks of this process; see the module docstring.

    The process's own numbers come from one read of ``/proc/<pid>/stat`` and
    one ``getrusage`` (a few microseconds; psutil costs a file open per
    figure, too slow for the end of every short task); psutil is used for
    the children and where ``/proc`` is missing.
    """

    def __init__(self) -> None:
        self.process = psutil.Process(os.getpid())
        self.total_memory = _total_memory()
        try:  # kept open: re-reading an open /proc file is far cheaper than opening it
            self._stat_fd: int | None = os.open(f"/proc/{os.getpid()}/stat", os.O_RDONLY)
        except OSError:  # pragma: no cover - systems without /proc
            self._stat_fd = None
        self._tasks: dict[tuple[str, int, int], _Watched] = {}
        self._lock = threading.Lock()
        self._wake = threading.Condition(self._lock)
        self._sampled = threading.Condition(self._lock)
        self._wake_at = float("inf")
        self._idle_wait = 60.0
        self._thread: threading.Thread | None = None

    def register(
        self,
        key: tuple[str, int, int],
        base: dict[str, Any],
        sender: MonitoringRadioSender,
        interval: float,
        running: TaggedMonitoringMessage | None = None,
    ) -> None:
        """Start watching a task; ``base`` holds the keys every message of it carries.

        ``running``, if given, is sent by the thread ``RUNNING_DELAY_S`` after
        now (at its next tick) unless :meth:`finish` comes first and returns it.
        """
        user, system = _reaped_times()
        now = time.monotonic()
        watched = _Watched(
            base,
            sender,
            interval,
            now + interval,
            user,
            system,
            _own_cpu_time(),
            now,
            running,
            now + RUNNING_DELAY_S,
        )
        with self._lock:
            self._tasks[key] = watched
            # Idle, the thread wakes once per interval: a task registered then is never
            # sampled late, and a run of short tasks never wakes it (a wake per task costs
            # more than the tasks' samples).
            self._idle_wait = min(self._idle_wait, interval, RUNNING_DELAY_S)
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(
                    target=self._run, name="parsl-resource-sampler", daemon=True
                )
                self._thread.start()
            elif watched.next_due < self._wake_at:
                self._wake.notify()  # only when it sleeps past this task's first sample

    def finish(
        self, key: tuple[str, int, int]
    ) -> tuple[list[TaggedMonitoringMessage], dict[str, Any]]:
        """Stop watching a task: its "running" message if still unsent, and its final sample."""
        with self._lock:
            watched = self._tasks.pop(key)
            running, watched.running = watched.running, None
            # A periodic sample being taken now must reach the radio before the final one.
            while watched.sampling:
                self._sampled.wait()
        return ([running] if running is not None else []), self.sample(watched, scan_children=False)

    def _run(self) -> None:
        while True:
            with self._lock:
                now = time.monotonic()
                for w in self._tasks.values():
                    # Sent under the lock, so never after the task's last messages.
                    if w.running is not None and w.running_due <= now:
                        running, w.running = w.running, None
                        try:
                            w.sender.send(running)
                        except Exception:
                            logger.exception("resource monitoring: could not send 'running'")
                due = [w for w in self._tasks.values() if w.next_due <= now]
                for w in due:
                    w.next_due = now + w.interval
                    w.sampling = True
                if not due:
                    self._wake_at = min(
                        [w.next_due for w in self._tasks.values()]
                        + [w.running_due for w in self._tasks.values() if w.running is not None]
                        + [now + self._idle_wait]
                    )
                    self._wake.wait(max(0.01, self._wake_at - now))
                    self._wake_at = float("inf")
                    continue
            for w in due:
                try:
                    w.sender.send((MessageType.RESOURCE_INFO, self.sample(w, scan_children=True)))
                except Exception:
                    logger.exception("resource monitoring: could not send a sample")
                finally:
                    with self._lock:
                        w.sampling = False
                        self._sampled.notify_all()

    def _own(self) -> dict[str, Any]:
        """This process's figures (the ``psutil_process_*`` columns)."""
        usage = resource.getrusage(resource.RUSAGE_SELF)
        out: dict[str, Any] = {
            "psutil_process_pid": os.getpid(),
            "psutil_process_num_ctx_switches_voluntary": usage.ru_nvcsw,
            "psutil_process_num_ctx_switches_involuntary": usage.ru_nivcsw,
        }
        stat = None
        if self._stat_fd is not None:
            try:
                stat = os.pread(self._stat_fd, 4096, 0)
            except OSError:  # pragma: no cover - /proc vanished
                stat = None
        if stat is not None:
            fields = stat[stat.rindex(b")") + 2 :].split()
            rss = int(fields[21]) * _PAGE_SIZE
            out.update(
                psutil_process_status=_PROC_STATES.get(fields[0].decode(), fields[0].decode()),
                psutil_process_time_user=int(fields[11]) / _CLOCK_TICKS,
                psutil_process_time_system=int(fields[12]) / _CLOCK_TICKS,
                psutil_process_num_threads=int(fields[17]),
                psutil_process_memory_virtual=int(fields[20]),
                psutil_process_memory_resident=rss,
                psutil_cpu_num=int(fields[36]),
                psutil_process_disk_read=usage.ru_inblock * 512,
                psutil_process_disk_write=usage.ru_oublock * 512,
            )
        else:  # pragma: no cover - systems without /proc
            proc = self.process
            with proc.oneshot():
                mem = proc.memory_info()
                times = proc.cpu_times()
                out.update(
                    psutil_process_status=proc.status(),
                    psutil_process_time_user=times.user,
                    psutil_process_time_system=times.system,
                    psutil_process_num_threads=proc.num_threads(),
                    psutil_process_memory_virtual=mem.vms,
                    psutil_process_memory_resident=mem.rss,
                    psutil_cpu_num=proc.cpu_num() if hasattr(proc, "cpu_num") else None,
                )
                read, write = _io_counters(proc)
            out.update(psutil_process_disk_read=read, psutil_process_disk_write=write)
        rss = out["psutil_process_memory_resident"]
        out["psutil_process_memory_percent"] = 100.0 * rss / self.total_memory
        return out

    def sample(self, watched: _Watched, *, scan_children: bool) -> dict[str, Any]:
        """One RESOURCE_INFO body for ``watched``."""
        body = dict(watched.base)
        body["timestamp"] = time.time()
        body["hostname"] = _HOSTNAME
        body.update(self._own())
        cpu, wall = _own_cpu_time(), time.monotonic()
        elapsed = wall - watched.wall_seen
        body["psutil_process_cpu_percent"] = (
            100.0 * (cpu - watched.cpu_seen) / elapsed if elapsed > 0 else 0.0
        )
        watched.cpu_seen, watched.wall_seen = cpu, wall
        user, system = _reaped_times()
        body["psutil_process_time_user"] += user - watched.reaped_user
        body["psutil_process_time_system"] += system - watched.reaped_system
        if scan_children:
            try:
                watched.children = self.process.children(recursive=True)
            except psutil.Error:  # pragma: no cover - this process is alive
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
            body["psutil_process_disk_read"] += cio[0]
            body["psutil_process_disk_write"] += cio[1]
        body["psutil_process_children_count"] = alive
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

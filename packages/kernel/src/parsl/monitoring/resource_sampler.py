"""Resource samples of running tasks, taken on the worker with psutil.

One :class:`ResourceSampler` per worker process, made on first use (so a
run with ``resource_monitoring_enabled=False`` never imports psutil nor
starts a thread). Tasks register when they start; a daemon thread sends a
``RESOURCE_INFO`` message for each registered task every
``resource_monitoring_interval`` seconds, and :meth:`ResourceSampler.finish`
takes one last sample as the task ends, so a task shorter than the interval
still gets one row.

The process's own figures come from ``/proc/self/stat`` (state, threads,
memory, CPU number) and ``getrusage`` (CPU times, context switches, and
disk read/write: the storage I/O the kernel accounts, as psutil's
``read_bytes``/``write_bytes``); ``psutil_process_cpu_percent`` is the CPU
time used since the task's previous sample over the wall time. The CPU
times are ``getrusage``'s, to the microsecond, not ``stat``'s 10 ms clock
ticks: over a task of a few milliseconds a tick either falls inside it or
not, and the task would show 0% or thousands of percent.

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
from typing import Any

import psutil

from parsl.monitoring.radios.base import MonitoringRadioSender, PositionalMessage
from parsl.monitoring.radios.wire import FIELDS
from parsl.monitoring.types import MessageType

logger = logging.getLogger(__name__)

_HOSTNAME = socket.gethostname()

SAMPLE_FIELDS = FIELDS[MessageType.RESOURCE_INFO]
"""What :meth:`ResourceSampler.sample` returns, in order: the wire's positional RESOURCE_INFO."""

RUNNING_DELAY_S = 0.05
"""At most how long after its start a task's "running" message waits for the sampler's tick."""


class _Watched:
    """A registered task: what its messages carry, when it is next due, its CPU marks."""

    __slots__ = (
        "base",
        "children",
        "cpu_seen",
        "interval",
        "next_due",
        "reaped_system",
        "reaped_user",
        "running",
        "running_due",
        "sampling",
        "sender",
        "wall_seen",
    )

    def __init__(
        self,
        base: tuple[str, int, int, float],
        sender: MonitoringRadioSender,
        interval: float,
        now: float,
        marks: tuple[float, float, float],
        running: PositionalMessage | None,
    ) -> None:
        self.base = base
        self.sender = sender
        self.interval = interval
        self.next_due = now + interval
        self.cpu_seen, self.reaped_user, self.reaped_system = marks
        self.wall_seen = now
        self.running = running
        """The task's "running" message, until the thread sends it."""
        self.running_due = now + RUNNING_DELAY_S
        """When the thread sends ``running`` if the task has not ended by then."""
        self.children: list[psutil.Process] = []
        self.sampling = False
        """True while the thread takes and sends a periodic sample of it (outside the lock)."""


_PROC_STATES = {
    b"R": "running",
    b"S": "sleeping",
    b"D": "disk-sleep",
    b"Z": "zombie",
    b"T": "stopped",
    b"t": "tracing-stop",
    b"X": "dead",
    b"I": "idle",
    b"P": "parked",
    b"W": "waking",
}
_PAGE_SIZE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096
_RUSAGE_SELF = resource.RUSAGE_SELF
_RUSAGE_CHILDREN = resource.RUSAGE_CHILDREN
_getrusage = resource.getrusage


def _cpu_marks() -> tuple[float, float, float]:
    """CPU seconds so far: this process's (user + system), its reaped children's user, system.

    From ``getrusage``, as :meth:`ResourceSampler.sample` takes them (see the module docstring).
    """
    me, reaped = _getrusage(_RUSAGE_SELF), _getrusage(_RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime, reaped.ru_utime, reaped.ru_stime


def _total_memory() -> int:
    try:
        return int(os.sysconf("SC_PHYS_PAGES")) * _PAGE_SIZE
    except (ValueError, OSError, AttributeError):  # pragma: no cover - not POSIX
        return int(psutil.virtual_memory().total)


class ResourceSampler:
    """Samples the registered tasks of this process; see the module docstring.

    The process's own numbers come from one read of ``/proc/<pid>/stat`` and
    two of ``getrusage`` (a few microseconds; psutil costs a file open per
    figure, too slow for the end of every short task); psutil is used for
    the children and where ``/proc`` is missing.
    """

    def __init__(self) -> None:
        self.process = psutil.Process(os.getpid())
        self.pid = self.process.pid
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

    def _stat(self) -> list[bytes] | None:
        """The fields of ``/proc/<pid>/stat`` after the command name (state first); None without it."""
        if self._stat_fd is None:  # pragma: no cover - systems without /proc
            return None
        try:
            stat = os.pread(self._stat_fd, 4096, 0)
        except OSError:  # pragma: no cover - /proc vanished
            return None
        return stat[stat.rindex(b")") + 2 :].split()

    def register(
        self,
        key: tuple[str, int, int],
        base: tuple[str, int, int, float],
        sender: MonitoringRadioSender,
        interval: float,
        running: PositionalMessage | None = None,
    ) -> None:
        """Start watching a task; ``base``: its run id, task id, try id and sampling interval.

        ``running``, if given, is sent by the thread ``RUNNING_DELAY_S`` after
        now (at its next tick) unless :meth:`finish` comes first and returns it.
        """
        watched = _Watched(base, sender, interval, time.monotonic(), _cpu_marks(), running)
        with self._lock:
            self._tasks[key] = watched
            # Idle, the thread wakes once per interval: a task registered then is never
            # sampled late, and a run of short tasks never wakes it (a wake per task costs
            # more than the tasks' samples).
            if self._idle_wait > interval or self._idle_wait > RUNNING_DELAY_S:
                self._idle_wait = min(self._idle_wait, interval, RUNNING_DELAY_S)
            thread = self._thread
            if thread is None or not thread.is_alive():
                self._thread = threading.Thread(
                    target=self._run, name="parsl-resource-sampler", daemon=True
                )
                self._thread.start()
            elif watched.next_due < self._wake_at:
                self._wake.notify()  # only when it sleeps past this task's first sample

    def finish(self, key: tuple[str, int, int]) -> tuple[list[PositionalMessage], list[Any]]:
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
                            w.sender.send_values([running])
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
                    sample = self.sample(w, scan_children=True)
                    w.sender.send_values([(MessageType.RESOURCE_INFO, sample)])
                except Exception:
                    logger.exception("resource monitoring: could not send a sample")
                finally:
                    with self._lock:
                        w.sampling = False
                        self._sampled.notify_all()

    def sample(self, watched: _Watched, *, scan_children: bool) -> list[Any]:
        """One RESOURCE_INFO message for ``watched``: its values, in :data:`SAMPLE_FIELDS` order."""
        timestamp = time.time()
        usage = _getrusage(_RUSAGE_SELF)
        reaped = _getrusage(_RUSAGE_CHILDREN)
        fields = self._stat()
        wall = time.monotonic()
        user, system = usage.ru_utime, usage.ru_stime
        reaped_user, reaped_system = reaped.ru_utime, reaped.ru_stime
        if fields is not None:
            state = _PROC_STATES.get(fields[0]) or fields[0].decode()
            threads = int(fields[17])
            vms = int(fields[20])
            rss = int(fields[21]) * _PAGE_SIZE
            cpu_num: int | None = int(fields[36])
            read, write = usage.ru_inblock * 512, usage.ru_oublock * 512
        else:  # pragma: no cover - systems without /proc
            proc = self.process
            with proc.oneshot():
                mem = proc.memory_info()
                state = proc.status()
                threads = proc.num_threads()
                vms, rss = mem.vms, mem.rss
                cpu_num = proc.cpu_num() if hasattr(proc, "cpu_num") else None
                read, write = _io_counters(proc)
        cpu = user + system
        elapsed = wall - watched.wall_seen
        cpu_percent = 100.0 * (cpu - watched.cpu_seen) / elapsed if elapsed > 0 else 0.0
        memory_percent = 100.0 * rss / self.total_memory
        watched.cpu_seen, watched.wall_seen = cpu, wall
        user += reaped_user - watched.reaped_user
        system += reaped_system - watched.reaped_system
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
            rss += cmem.rss
            vms += cmem.vms
            user += ctimes.user
            system += ctimes.system
            read += cio[0]
            write += cio[1]
        run_id, task_id, try_id, interval = watched.base
        return [
            run_id,
            task_id,
            try_id,
            timestamp,
            interval,
            _HOSTNAME,
            self.pid,
            cpu_num,
            state,
            threads,
            usage.ru_nvcsw,
            usage.ru_nivcsw,
            user,
            system,
            vms,
            rss,
            memory_percent,
            cpu_percent,
            read,
            write,
            alive,
        ]


def _io_counters(proc: psutil.Process) -> tuple[int, int]:
    try:
        io = proc.io_counters()
    except (psutil.Error, AttributeError, NotImplementedError):  # not readable on every system
        return 0, 0
    return io.read_bytes, io.write_bytes


_sampler: ResourceSampler | None = None
_sampler_lock = threading.Lock()


def process_sampler() -> ResourceSampler:
    """This process's sampler, made on first use (per process: a forked child makes its own).

    Called at the start of every monitored task, so it asks no system call:
    a forked child forgets its parent's sampler at the fork (below) instead of
    comparing process ids on each call.
    """
    global _sampler
    sampler = _sampler
    if sampler is not None:
        return sampler
    with _sampler_lock:
        if _sampler is None:
            _sampler = ResourceSampler()
        return _sampler


def _forget_parents_sampler() -> None:
    """In a forked child: the parent's sampler (its thread, its /proc file) is not this process's."""
    global _sampler, _sampler_lock
    _sampler = None
    _sampler_lock = threading.Lock()  # the parent's may have been held at the fork


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_parents_sampler)

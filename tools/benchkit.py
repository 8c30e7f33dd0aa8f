"""Helpers shared by the benchmarks under tools/ (imported by their child processes too).

Only the standard library and psutil, so that a peer environment with Parsl itself
installed (which has psutil through ``parsl[monitoring]``) can import it as well.
"""

from __future__ import annotations

import argparse
import math
from collections.abc import Callable
from typing import Any


def at_least(minimum: float, kind: Callable[[str], Any] = int) -> Callable[[str], Any]:
    """An argparse ``type``: a finite number (``kind``: int or float) no smaller than ``minimum``.

    Anything else (``nan`` and ``inf`` too) is a usage error naming the value, before any
    measurement starts.
    """

    def parse(text: str) -> Any:
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
        if not math.isfinite(value):
            raise argparse.ArgumentTypeError(f"expected a finite number, got {text}")
        if value < minimum:
            raise argparse.ArgumentTypeError(f"must be at least {minimum:g}, got {text}")
        return value

    return parse


def cpu_by_role(run_dir: str) -> dict[str, float]:
    """CPU seconds (user + system) so far of this process and its descendants, by role.

    Roles: client (this process), interchange, manager, worker, other. A worker pool
    that its provider's script left running on its own (Parsl's does) is no descendant
    of this process: it is found by ``run_dir`` in its command line.
    """
    import psutil

    me = psutil.Process()
    mine = me.cpu_times()  # before the scans below, whose cost is not the workload's
    roles = {me.pid: "client"}
    cpu: dict[str, float] = {}
    procs = [me, *me.children(recursive=True)]
    known = {p.pid for p in procs}
    for p in psutil.process_iter():
        try:
            if p.pid not in known and run_dir in " ".join(p.cmdline()):
                procs += [q for q in [p, *p.children(recursive=True)] if q.pid not in known]
                known.update(q.pid for q in procs)
        except psutil.Error:
            continue
    for p in procs:
        try:
            cmd = " ".join(p.cmdline())
            parent = p.ppid()
            t: Any = mine if p.pid == me.pid else p.cpu_times()
        except psutil.Error:
            continue
        if p.pid in roles:
            role = roles[p.pid]
        elif p.name() in ("sh", "bash", "dash", "timeout"):
            role = "other"
        elif "interchange" in cmd:
            role = "interchange"
        elif roles.get(parent) in ("manager", "worker"):
            role = "worker"
        elif "worker_pool" in cmd:
            role = "manager"
        else:
            role = "other"
        roles[p.pid] = role
        cpu[role] = cpu.get(role, 0.0) + t.user + t.system
    return cpu


def cpu_delta_us(before: dict[str, float], after: dict[str, float], tasks: int) -> dict[str, float]:
    """CPU microseconds per task of each role between two :func:`cpu_by_role` readings."""
    return {k: (v - before.get(k, 0.0)) / tasks * 1e6 for k, v in after.items()}


def thread_cpu() -> dict[str, float]:
    """CPU seconds (user + system) so far of this process's Python threads, by kind.

    Kinds: main, io (an executor's I/O thread: its name ends in ``-io``), monitoring
    (threads named ``parsl-monitoring...``: the hub's forwarder and the writer's reader)
    and other. Read from each thread's CPU clock (nanoseconds, where ``/proc``'s figures
    count 10 ms ticks); empty where the platform has no such clocks.
    """
    import threading
    import time

    cpu: dict[str, float] = {}
    for t in threading.enumerate():
        if t.ident is None:
            continue
        try:
            seconds = time.clock_gettime(time.pthread_getcpuclockid(t.ident))
        except (AttributeError, OSError):  # not POSIX, or the thread just ended
            continue
        if t is threading.main_thread():
            kind = "main"
        elif t.name.endswith("-io"):
            kind = "io"
        elif t.name.startswith("parsl-monitoring"):
            kind = "monitoring"
        else:
            kind = "other"
        cpu[kind] = cpu.get(kind, 0.0) + seconds
    return cpu

"""Child processes started by bash apps in this process, so shutdown can stop them by pid."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import threading

_lock = threading.Lock()
_children: set[subprocess.Popen[bytes]] = set()


def register(proc: subprocess.Popen[bytes]) -> None:
    """Remember a running child (started in its own session)."""
    with _lock:
        _children.add(proc)


def unregister(proc: subprocess.Popen[bytes]) -> None:
    """Forget a child that has exited."""
    with _lock:
        _children.discard(proc)


def kill_group(proc: subprocess.Popen[bytes], grace: float = 2.0) -> None:
    """SIGTERM the child's process group, SIGKILL it after ``grace`` seconds, and reap the child."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, sig)
        try:
            proc.wait(timeout=grace)
            # The leader is gone; make sure nothing else of its group survives.
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(proc.pid, signal.SIGKILL)
            return
        except subprocess.TimeoutExpired:
            continue
    proc.wait(timeout=grace)


def kill_all() -> int:
    """Stop every registered child; return how many there were."""
    with _lock:
        procs = list(_children)
        _children.clear()
    for p in procs:
        kill_group(p, grace=1.0)
    return len(procs)

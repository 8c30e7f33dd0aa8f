"""Backpressure for the executor's submitters: wait until the I/O thread makes room.

With ``max_outstanding`` tasks in flight, :meth:`InterchangeClient.submit`
waits here until results come back. Each waiting round lists a bare lock
of its own, held, that :meth:`Room.make` releases; the waiter looks again
at least every 0.5 s. Not a :class:`threading.Condition`: Ctrl-C landing in
its Python code can leave its lock held (the next submit then waits for
ever) or raise RuntimeError in the interrupt's place. Here Ctrl-C anywhere
raises KeyboardInterrupt and leaves no lock held (tested at every
interrupt point).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

__all__ = ["Room"]


class Room:
    """Submitters wait in :meth:`wait_while`; the thread that frees room calls :meth:`make`."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._waiters: list[Any] = []

    def wait_while(self, full: Callable[[], bool]) -> None:
        """Return once ``full()`` is false (checked again after every release or 0.5 s)."""
        waiter = None
        try:
            while full():
                waiter = threading.Lock()
                waiter.acquire()
                with self._lock:
                    self._waiters.append(waiter)
                if not full():
                    break  # room was made just before this waiter was listed
                waiter.acquire(timeout=0.5)
                self._unlist(waiter)
        finally:
            if waiter is not None:
                self._unlist(waiter)

    def _unlist(self, waiter: Any) -> None:
        with self._lock:
            if waiter in self._waiters:
                self._waiters.remove(waiter)

    def make(self) -> None:
        """Wake every waiter to look again."""
        if self._waiters:
            with self._lock:
                waiters, self._waiters = self._waiters, []
            for waiter in waiters:
                waiter.release()  # each is listed held, and taken off the list once

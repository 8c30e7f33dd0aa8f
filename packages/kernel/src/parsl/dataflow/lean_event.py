"""An event flag that Ctrl-C in the main thread cannot leave locked.

:class:`threading.Event` takes its condition's lock in Python code (the
condition's ``__enter__``), so a KeyboardInterrupt that lands just after
the lock is taken keeps it for ever, and the next ``set()`` or ``wait()``
hangs. :class:`LeanEvent` has ``set``, ``is_set`` and ``wait`` as Event
does, over one bare lock that ``set()`` releases in a single C call: every
call may be cut anywhere and made again.
"""

from __future__ import annotations

import _thread


class LeanEvent:
    """``set()`` / ``is_set()`` / ``wait(timeout)`` of :class:`threading.Event`, interrupt-safe.

    The gate lock is held while the flag is down; ``set()`` raises the flag,
    then releases the gate; each waiter passes the gate and releases it for
    the next. The flag is raised before the gate opens, so a waiter that
    finds the flag up need not pass the gate. There is no ``clear()``: the
    kernel's stop flags go up once.
    """

    __slots__ = ("_flag", "_gate")

    def __init__(self) -> None:
        self._flag = False
        self._gate = _thread.allocate_lock()
        self._gate.acquire()

    def is_set(self) -> bool:
        return self._flag

    def set(self) -> None:
        self._flag = True
        try:  # noqa: SIM105  (no interrupt point in a try, unlike suppress().__enter__)
            self._gate.release()
        except RuntimeError:  # already open
            pass

    def wait(self, timeout: float | None = None) -> bool:
        """Whether the flag is up, waiting up to ``timeout`` s (for ever with None) for it."""
        if self._flag:
            return True
        if self._gate.acquire(timeout=-1 if timeout is None else max(0.0, timeout)):
            try:  # noqa: SIM105  (no interrupt point in a try, unlike suppress().__enter__)
                self._gate.release()  # for the next waiter
            except RuntimeError:  # a set() in between released it already
                pass
            return True
        return self._flag

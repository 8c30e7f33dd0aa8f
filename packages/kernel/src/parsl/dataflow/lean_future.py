"""Futures without a full ``threading.Condition`` each: the one place that relies on CPython internals.

A :class:`concurrent.futures.Future` builds a ``threading.Condition`` in its
constructor (a deque and six bound methods, about 1.3 KB) although a
future that nobody waits on never uses it. Parsl holds one future per task
at each layer (the AppFuture, the executor's future), so the kernel swaps
that condition for a :class:`LeanCondition`: a re-entrant lock with a
waiter list made only when somebody waits.

This depends on three CPython details that are not public API:

* ``Future.__init__`` stores its condition in ``self._condition``;
* ``concurrent.futures`` uses only ``acquire``, ``release``, the context
  manager, ``wait``, ``notify`` and ``notify_all`` on it, and re-enters it
  (``wait(fs, return_when=FIRST_EXCEPTION)`` calls ``f.exception()`` while
  holding ``f``'s condition), so the lock must be re-entrant;
* ``_thread.RLock`` can be subclassed (CPython 3.11 to 3.13 allow it) and
  has ``_release_save``, ``_acquire_restore`` (as ``threading.Condition``
  uses) and ``_recursion_count``.

``tests/core14/test_lean_future.py`` checks the first two against the
running interpreter's source and fails loudly when either changes; every
use of a lean future exercises the third. At run time
:data:`LEAN_SUPPORTED` guards the first: where ``_condition`` is missing or
no longer a ``threading.Condition``, futures keep the standard condition.
"""

from __future__ import annotations

import _thread
import contextlib
import threading
from collections.abc import Iterable
from concurrent.futures import CancelledError, Future
from typing import Any, TypeVar

F = TypeVar("F", bound=Future[Any])

USED_CONDITION_MEMBERS = frozenset(
    {"acquire", "release", "__enter__", "__exit__", "wait", "notify", "notify_all"}
)
"""What :class:`LeanCondition` implements: all that ``concurrent.futures`` may call."""


class LeanCondition(_thread.RLock):  # type: ignore[misc]  # final to typeshed, not to CPython
    """A condition variable for one future, a fraction of the size of :class:`threading.Condition`.

    It *is* its re-entrant lock (as ``threading.Condition`` holds one by
    default), with a waiter list made only when somebody actually waits.
    Being the lock, its ``acquire``, ``release``, ``__enter__`` and
    ``__exit__`` are the lock's own C code, so ``with`` on it has no Python
    frame where a Ctrl-C could land between taking or dropping the lock
    and the block: ``threading.Condition.__exit__`` is Python, and a
    KeyboardInterrupt at its start leaves the lock held for ever, so that
    the thread that later completes the future blocks for good.
    """

    __slots__ = ("_waiters",)

    def __init__(self) -> None:
        self._waiters: list[threading.Lock] | None = None

    def wait(self, timeout: float | None = None) -> bool:
        """Release the lock, wait for a notify (or the timeout), take the lock again.

        Interruptible: Ctrl-C in the main thread raises KeyboardInterrupt here,
        with the lock held again, wherever it lands. CPython raises a pending
        interrupt only when a call of C code returns, at a Python function's
        start or at a loop's jump back, so nothing can land between setting
        ``released`` and releasing, or between testing it and taking the
        lock again. (``threading.Condition.wait`` can be interrupted just
        after releasing, before its ``try``, and returns without the lock.)
        """
        waiter = threading.Lock()
        waiter.acquire()
        if self._waiters is None:
            self._waiters = []
        self._waiters.append(waiter)
        state = (self._recursion_count(), _thread.get_ident())  # type: ignore[attr-defined]
        released = got = False
        try:
            released = True
            self._release_save()  # type: ignore[attr-defined]  # every level, as Condition does
            if timeout is None:
                got = waiter.acquire()
            elif timeout > 0:
                got = waiter.acquire(True, timeout)
            else:
                got = waiter.acquire(False)
            return got
        finally:
            if released:
                self._acquire_restore(state)  # type: ignore[attr-defined]
            if not got and self._waiters is not None and waiter in self._waiters:
                self._waiters.remove(waiter)

    def notify(self, n: int = 1) -> None:
        waiters = self._waiters
        if not waiters:
            return
        for waiter in waiters[:n]:
            waiter.release()
        del waiters[:n]

    def notify_all(self) -> None:
        waiters, self._waiters = self._waiters, None
        for waiter in waiters or ():
            waiter.release()


def _condition_is_replaceable() -> bool:
    return isinstance(getattr(Future(), "_condition", None), type(threading.Condition()))


LEAN_SUPPORTED = _condition_is_replaceable()
"""True where ``Future`` keeps its condition in ``_condition`` as this module expects."""


def make_lean(future: F) -> F:
    """Give a new, not yet shared ``future`` a :class:`LeanCondition`; return it."""
    if LEAN_SUPPORTED:
        future._condition = LeanCondition()  # type: ignore[assignment]
    return future


def lean_future() -> Future[Any]:
    """A new :class:`concurrent.futures.Future` with a :class:`LeanCondition`."""
    return make_lean(Future())


def wait_all(futures: Iterable[Future[Any]]) -> None:
    """Wait until every future is done, as ``concurrent.futures.wait(futures)`` does.

    Ctrl-C anywhere in it leaves no future's lock held. ``concurrent.futures.wait``
    takes every future's lock in a Python loop first; an interrupt part-way
    through that loop leaves the locks taken so far held for ever, and the
    threads that complete those futures block for good. Here each future is
    waited on in turn, through its own condition (a :class:`LeanCondition`
    for the kernel's futures).
    """
    for fut in futures:
        with contextlib.suppress(CancelledError):
            fut.exception()

"""Timers and counters with Parsl's public names (exported from :mod:`parsl.utils`)."""

from __future__ import annotations

import itertools
import logging
import threading
import time
from collections.abc import Callable
from types import TracebackType
from typing import Any

logger = logging.getLogger(__name__)

__all__ = ["AtomicIDCounter", "AutoCancelTimer", "Timer"]


class Timer:
    """Calls ``callback(*args)`` every ``interval`` seconds on a daemon thread until :meth:`close`.

    The thread starts at construction; the first call comes after one
    interval. :meth:`make_callback` calls at once and restarts the interval.
    An exception in the callback is logged and the timer keeps going.
    """

    def __init__(
        self,
        callback: Callable[..., Any],
        *args: Any,
        interval: float = 5,
        name: str | None = None,
    ) -> None:
        if not callable(callback):
            raise TypeError(f"callback={callback!r} is not valid: expected a callable")
        if isinstance(interval, bool) or not isinstance(interval, int | float) or interval <= 0:
            raise ValueError(f"interval={interval!r} is not valid: expected seconds > 0")
        self.callback = callback
        self.cb_args = args
        self.interval = interval
        self._lock = threading.Lock()
        self._next = time.monotonic() + interval
        self._kill_event = threading.Event()
        thread_name = (
            f"Timer-Thread-{id(self)}" if name is None else f"{name}-Timer-Thread-{id(self)}"
        )
        self._thread = threading.Thread(target=self._run, name=thread_name, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while True:
            with self._lock:
                delay = self._next - time.monotonic()
            if self._kill_event.wait(max(0.0, delay)):
                return
            with self._lock:
                due = time.monotonic() >= self._next
            if due:
                self.make_callback()

    def make_callback(self) -> None:
        """Call the callback now and start a new interval."""
        with self._lock:
            self._next = time.monotonic() + self.interval
        try:
            self.callback(*self.cb_args)
        except Exception:
            logger.error(
                "Timer callback %r raised; the timer keeps running", self.callback, exc_info=True
            )

    def close(self, timeout: float | None = None) -> None:
        """Stop the timer and wait for its thread (a callback in progress finishes first).

        ``timeout`` bounds that wait, in seconds (None: as long as the callback takes).
        """
        if timeout is not None and (
            isinstance(timeout, bool) or not isinstance(timeout, int | float) or not timeout >= 0
        ):
            raise ValueError(f"timeout={timeout!r} is not valid: expected seconds >= 0 or None")
        self._kill_event.set()
        if self._thread is not threading.current_thread():
            self._thread.join(timeout)


class AutoCancelTimer(threading.Timer):
    """A :class:`threading.Timer` for ``with`` blocks: started on entry, cancelled on exit.

    ``function(*args, **kwargs)`` runs once if the block lasts longer than
    ``interval`` seconds; leaving the block earlier means it never runs.
    """

    def __enter__(self) -> AutoCancelTimer:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.cancel()


class AtomicIDCounter:
    """Hands out 0, 1, 2, ... from :meth:`get_id`, safely across threads."""

    def __init__(self) -> None:
        self._count = itertools.count()
        self._lock = threading.Lock()

    def get_id(self) -> int:
        """The next id."""
        with self._lock:
            return next(self._count)

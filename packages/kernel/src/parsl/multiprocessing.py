"""Process and queue helpers with Parsl's public names.

``ForkProcess`` / ``SpawnProcess`` and ``SpawnQueue`` / ``SpawnEvent``
pin the start method instead of depending on the platform default (which
changed from fork to spawn on macOS and is changing on Linux).
``SizedQueue`` is a queue whose ``qsize()`` works on every platform.
:func:`join_terminate_close_proc` ends a child process in bounded time.
"""

from __future__ import annotations

import logging
import multiprocessing
import multiprocessing.context
import multiprocessing.process
import multiprocessing.queues
from typing import Any

logger = logging.getLogger(__name__)

__all__ = [
    "ForkContext",
    "ForkProcess",
    "SizedQueue",
    "SpawnContext",
    "SpawnEvent",
    "SpawnProcess",
    "SpawnQueue",
    "join_terminate_close_proc",
]

ForkContext = multiprocessing.get_context("fork")
SpawnContext = multiprocessing.get_context("spawn")

ForkProcess = ForkContext.Process
SpawnProcess = SpawnContext.Process
SpawnEvent = SpawnContext.Event
SpawnQueue = SpawnContext.Queue


class SizedQueue(multiprocessing.queues.Queue):  # type: ignore[type-arg]
    """A spawn-context queue that counts its items itself, so ``qsize()`` and ``empty()`` work everywhere.

    (The standard queue's ``qsize`` relies on ``sem_getvalue``, which macOS lacks.)
    """

    def __init__(self, maxsize: int = 0) -> None:
        super().__init__(maxsize, ctx=SpawnContext)
        self._size = SpawnContext.Value("i", 0)

    def __getstate__(self) -> Any:
        return (*super().__getstate__(), self._size)  # type: ignore[misc]

    def __setstate__(self, state: Any) -> None:
        super().__setstate__(state[:-1])
        self._size = state[-1]

    def put(self, obj: Any, block: bool = True, timeout: float | None = None) -> None:
        with self._size.get_lock():
            self._size.value += 1
        try:
            super().put(obj, block, timeout)
        except BaseException:
            with self._size.get_lock():
                self._size.value -= 1
            raise

    def get(self, block: bool = True, timeout: float | None = None) -> Any:
        item = super().get(block, timeout)
        with self._size.get_lock():
            self._size.value -= 1
        return item

    def qsize(self) -> int:
        return int(self._size.value)

    def empty(self) -> bool:
        return self.qsize() == 0


def join_terminate_close_proc(
    process: multiprocessing.process.BaseProcess, *, timeout: float = 30
) -> None:
    """End ``process`` in at most about three times ``timeout`` seconds, then release it.

    Waits ``timeout`` seconds for it to exit by itself, then sends SIGTERM and
    waits again, then SIGKILL; finally closes the process object.
    """
    process.join(timeout)
    if process.is_alive():
        logger.warning("process %s did not exit within %s s; terminating it", process.pid, timeout)
        process.terminate()
        process.join(timeout)
    if process.is_alive():
        logger.error("process %s did not terminate within %s s; killing it", process.pid, timeout)
        process.kill()
        process.join(timeout)
    process.close()

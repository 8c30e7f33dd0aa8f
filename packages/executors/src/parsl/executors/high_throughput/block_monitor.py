"""Watches a :class:`~.blocks.BlockPool`'s blocks through its provider, between strategy passes.

Every ``provider.status_polling_interval`` seconds it asks the pool for
each block's status. A block that has ended is reported to the interchange
at once, so tasks on its managers fail with ManagerLost now rather than
after ``heartbeat_threshold``. Then the states are judged: by ``judge``
when one is given (htex passes its ``handle_errors``, so that a subclass
overriding Parsl's method is called as in Parsl), else by the pool with
its ``block_error_handler`` (by default the give-up rule of
:mod:`.block_failures`; a callable handler is called with
``(executor, statuses)`` instead).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from parsl.executors.high_throughput.block_failures import MAX_FAILED_BLOCKS
from parsl.executors.high_throughput.blocks import BlockPool
from parsl.executors.high_throughput.errors import HighThroughputError
from parsl.jobs.states import JobStatus

__all__ = ["MAX_FAILED_BLOCKS", "BlockMonitor"]

logger = logging.getLogger(__name__)


class BlockMonitor:
    """A daemon thread polling the status of one pool's blocks."""

    def __init__(
        self, pool: BlockPool, judge: Callable[[dict[str, JobStatus]], None] | None = None
    ) -> None:
        self.pool = pool
        self.judge = pool.judge if judge is None else judge
        self.interval = float(pool.provider.status_polling_interval)
        self._ended: set[str] = set()
        self._stop = threading.Event()
        self._thread = threading.Thread(
            target=self._run, name=f"htex-{pool.label}-blocks", daemon=True
        )

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        """Stop polling; waits for a poll in progress (bounded by the provider's cmd_timeout)."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=self.pool.provider.cmd_timeout + 5)

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self.poll_once()
            except Exception:
                logger.exception("htex %s: block poll failed", self.pool.label)

    def poll_once(self) -> None:
        """One status poll: report ended blocks, then judge the states."""
        pool = self.pool
        statuses = pool.status()
        ended = [b for b, s in statuses.items() if s.terminal and b not in self._ended]
        if ended and not self._stop.is_set():
            self._ended.update(ended)
            try:
                pool.blocks_ended(ended)
            except HighThroughputError as e:
                logger.warning("htex %s: could not report ended blocks: %s", pool.label, e)
        self.judge(statuses)

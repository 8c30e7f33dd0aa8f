"""Watches an executor's blocks through its provider, between strategy passes.

Every ``provider.status_polling_interval`` seconds it asks the provider for
the status of each block. A block that has ended is reported to the
interchange at once, so tasks on its managers fail with ManagerLost now
rather than after ``heartbeat_threshold``. With ``block_error_handler=True``,
the executor enters a bad state (:class:`BlocksFailed`, with the last
failed block's stdout and stderr) once every block submitted so far has
failed, and either one of them failed before any of its managers registered
(a start-up problem: bad command, bad environment) or ``MAX_FAILED_BLOCKS``
have failed. A callable handler is called with ``(executor, statuses)``
instead.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Collection
from typing import TYPE_CHECKING

from parsl.executors.high_throughput.errors import BlocksFailed, HighThroughputError
from parsl.jobs.states import JobState, JobStatus

if TYPE_CHECKING:
    from parsl.executors.high_throughput.executor import HighThroughputExecutor

logger = logging.getLogger(__name__)

MAX_FAILED_BLOCKS = 3


def describe_failure(block_id: str, status: JobStatus) -> str:
    """One block's failure: message, exit code and the tails of its stdout and stderr."""
    return (
        f"block {block_id}: {status.message or status.state.name} "
        f"(exit code {status.exit_code}); stdout: {(status.stdout or '').strip() or '(empty)'}; "
        f"stderr: {(status.stderr or '').strip() or '(empty)'}"
    )


def blocks_failed_reason(statuses: dict[str, JobStatus], registered: Collection[str]) -> str | None:
    """Why the executor should give up on its blocks, or None while it should not.

    ``registered`` holds the blocks from which a manager ever registered.
    """
    failed = [b for b, s in statuses.items() if s.state == JobState.FAILED]
    if not failed or len(failed) < len(statuses):
        return None
    if len(failed) < MAX_FAILED_BLOCKS and all(b in registered for b in failed):
        return None
    last = failed[-1]
    return f"{len(failed)} of {len(statuses)} blocks failed; last {describe_failure(last, statuses[last])}"


class BlockMonitor:
    """A daemon thread polling block status for one executor."""

    def __init__(self, executor: HighThroughputExecutor) -> None:
        self.executor = executor
        self.interval = float(executor.provider.status_polling_interval)
        self._ended: set[str] = set()
        self._stop = threading.Event()
        self._thread = threading.Thread(
            target=self._run, name=f"htex-{executor.label}-blocks", daemon=True
        )

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        """Stop polling; waits for a poll in progress (bounded by the provider's cmd_timeout)."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=self.executor.provider.cmd_timeout + 5)

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self.poll_once()
            except Exception:
                logger.exception("htex %s: block poll failed", self.executor.label)

    def poll_once(self) -> None:
        """One status poll: report ended blocks, apply the block error handler."""
        executor = self.executor
        statuses = executor.status()
        ended = [b for b, s in statuses.items() if s.terminal and b not in self._ended]
        if ended and not self._stop.is_set():
            self._ended.update(ended)
            try:
                executor.blocks_ended(ended)
            except HighThroughputError as e:
                logger.warning("htex %s: could not report ended blocks: %s", executor.label, e)
        handler = executor.block_error_handler
        if callable(handler):
            handler(executor, statuses)
        elif handler and any(s.state == JobState.FAILED for s in statuses.values()):
            reason = blocks_failed_reason(statuses, executor.registered_blocks())
            if reason is not None and not executor.bad_state_is_set:
                label = executor.label
                executor.set_bad_state_and_fail_all(lambda: BlocksFailed(label, reason))

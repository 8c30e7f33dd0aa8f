"""The HighThroughputExecutor's blocks: its provider, the block table, their failures.

:class:`BlockPool` owns everything about blocks: the provider, the table of
block ids and job ids, the shared provider poll (:class:`ProviderStatusCache`),
the block reports to monitoring, and when to give up on failing blocks
(:class:`~.block_failures.FailureRule`). The executor builds one and
delegates its block methods to it; the :class:`~.block_monitor.BlockMonitor`
thread talks to the pool alone. The pool knows the rest of the executor only
through what :meth:`BlockPool.open` gives it: the interchange (to choose
blocks to remove, report ended ones and fail tasks) and a function rendering
a block's launch command.
"""

from __future__ import annotations

import itertools
import logging
import math
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any, Protocol

from parsl.argument_checks import check_int
from parsl.executors.errors import ScalingFailed
from parsl.executors.high_throughput.block_failures import FailureRule
from parsl.executors.high_throughput.errors import BlocksFailed
from parsl.executors.high_throughput.monitoring_reports import BlockReporter
from parsl.jobs.error_handlers import noop_error_handler
from parsl.jobs.states import JobState, JobStatus
from parsl.monitoring.radios.base import MessageTarget
from parsl.providers.base import ExecutionProvider

logger = logging.getLogger(__name__)

StatusPoll = Callable[[list[str]], dict[str, JobStatus]]

#: ``True`` (the pool's :class:`FailureRule`), ``False`` (never give up) or
#: Parsl's callable ``handler(executor, statuses)``.
ErrorHandler = bool | Callable[..., Any]


class Interchange(Protocol):
    """What the pool needs of the interchange client."""

    @property
    def exception(self) -> BaseException | None: ...

    def request(self, op: str, args: dict[str, Any], timeout: float = ...) -> dict[str, Any]: ...

    def fail(self, make_exception: Callable[[], BaseException]) -> None: ...


class ProviderStatusCache:
    """The last provider status poll of the blocks, reused for one polling interval.

    Thread-safe: one reader polls while the others wait and then share its
    result. A poll is reused only while it is younger than the interval and
    covers exactly the blocks asked about, so a block just submitted makes
    the next read poll again. Blocks the executor cancelled show the status
    recorded for them until the provider itself reports them ended.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._polled_at = -math.inf
        self._statuses: dict[str, JobStatus] = {}
        self._cancelled: dict[str, JobStatus] = {}

    def read(self, block_ids: list[str], interval: float, poll: StatusPoll) -> dict[str, JobStatus]:
        """Each block's status: the cached poll if still fresh, else ``poll(block_ids)``."""
        with self._lock:
            age = time.monotonic() - self._polled_at
            if age >= interval or self._statuses.keys() != set(block_ids):
                started = time.monotonic()
                self._statuses = poll(block_ids)
                self._polled_at = started
            return {b: self._shown(b, s) for b, s in self._statuses.items()}

    def _shown(self, block_id: str, polled: JobStatus) -> JobStatus:
        if polled.terminal:
            return polled
        return self._cancelled.get(block_id, polled)

    def record_cancelled(self, block_ids: Iterable[str], status: JobStatus) -> None:
        """Show these blocks as ``status`` from now on, unless the provider reports them ended."""
        with self._lock:
            for block_id in block_ids:
                self._cancelled[block_id] = status

    def invalidate(self) -> None:
        """Make the next read poll the provider."""
        with self._lock:
            self._polled_at = -math.inf


class BlockPool:
    """One executor's blocks: submit, cancel and poll them; give up when they keep failing.

    ``owner`` is what a callable ``error_handler`` gets as its first
    argument (Parsl passes the executor). Until :meth:`open` and after
    :meth:`close` the pool starts no block; :meth:`status` and
    :meth:`cancel` work throughout, so the executor can end its blocks at
    shutdown.
    """

    def __init__(
        self,
        label: str,
        provider: ExecutionProvider,
        error_handler: ErrorHandler = True,
        owner: object = None,
    ) -> None:
        self.label = label
        self.provider = provider
        self.error_handler = error_handler
        self.reporter = BlockReporter(label)
        self._owner = self if owner is None else owner
        self._jobs: dict[str, str] = {}  # block id -> provider job id
        self._ids = itertools.count()
        self._lock = threading.Lock()  # one scaling action at a time
        self._cache = ProviderStatusCache()
        self._rule = FailureRule()
        self._interchange: Interchange | None = None
        self._launch_command: Callable[[str], str] | None = None

    # ------------------------------------------------------------ lifecycle

    def open(
        self,
        interchange: Interchange,
        launch_command: Callable[[str], str],
        sink: MessageTarget | None = None,
        run_id: str | None = None,
    ) -> None:
        """Start taking scaling requests: blocks run ``launch_command(block_id)``."""
        self.reporter.sink = sink
        self.reporter.run_id = run_id
        self._launch_command = launch_command
        self._interchange = interchange

    def close(self) -> None:
        """Stop starting blocks and talking to the interchange (the executor is shutting down)."""
        self._interchange = None

    @property
    def jobs(self) -> dict[str, str]:
        """Each block id to its provider job id (a copy)."""
        return dict(self._jobs)

    # ------------------------------------------------------------ scaling

    def scale_out(self, blocks: int = 1) -> list[str]:
        """Submit ``blocks`` new blocks to the provider; return their block ids."""
        check_int("blocks", blocks, 0)
        launch_command = self._launch_command
        if self._interchange is None or launch_command is None:
            raise ScalingFailed(self.label, "executor is not running")
        new: list[str] = []
        with self._lock:
            for _ in range(blocks):
                block_id = str(next(self._ids))
                command = launch_command(block_id)
                try:
                    job_id = self.provider.submit(
                        command, 1, f"parsl.{self.label}.block-{block_id}"
                    )
                except Exception as e:
                    self._refused(block_id, e)
                    raise ScalingFailed(
                        self.label, f"provider could not start block {block_id}: {e}"
                    ) from e
                self._rule.submitted()
                self._jobs[block_id] = str(job_id)  # a new block: the next status() polls
                self.reporter.report(block_id, str(job_id), JobStatus(JobState.PENDING))
                new.append(block_id)
                logger.info("htex %s: block %s is job %s", self.label, block_id, job_id)
        return new

    def _refused(self, block_id: str, error: Exception) -> None:
        self.reporter.report(block_id, None, JobStatus(JobState.FAILED, message=str(error)))
        reason = self._rule.refused(block_id, str(error))
        if reason is not None and self.error_handler not in (False, noop_error_handler):
            self._give_up(reason)

    def scale_in(self, blocks: int = 1, force: bool = False) -> list[str]:
        """Cancel up to ``blocks`` blocks, idle ones first; busy ones only with ``force``.

        Returns the block ids cancelled. Tasks still running on a forced
        block fail with ManagerLost.
        """
        check_int("blocks", blocks, 0)
        if self._interchange is None:
            return []
        with self._lock:
            candidates = [b for b, s in self.status().items() if not s.terminal]
            return self._remove(candidates, blocks, force)

    def scale_in_these(self, block_ids: list[str]) -> list[str]:
        """Cancel those of ``block_ids`` the interchange finds idle; return them, in that order."""
        if not block_ids or self._interchange is None:
            return []
        with self._lock:
            removed = set(self._remove(block_ids, len(block_ids), False))
        return [b for b in block_ids if b in removed]

    def _remove(self, candidates: list[str], count: int, force: bool) -> list[str]:
        interchange = self._interchange
        if interchange is None:
            return []
        reply = interchange.request(
            "pick_blocks_to_remove", {"candidates": candidates, "count": count, "force": force}
        )
        chosen = [str(b) for b in reply["blocks"]]
        if chosen:
            self.cancel(chosen, JobStatus(JobState.SCALED_IN, message="scaled in"))
        return chosen

    def cancel(self, block_ids: list[str], shown_as: JobStatus, *, all_ended: bool = False) -> None:
        """Cancel blocks through the provider; those it accepts show as ``shown_as`` at once.

        ``all_ended``: every one of ``block_ids`` shows as ``shown_as``, also those the
        provider no longer had (at shutdown: blocks whose workers the executor's own
        shutdown already stopped).
        """
        accepted = self.provider.cancel([self._jobs[b] for b in block_ids])
        cancelled = [b for b, ok in zip(block_ids, accepted, strict=False) if ok or all_ended]
        self._cache.record_cancelled(cancelled, shown_as)
        for block_id in cancelled:
            self.reporter.report(block_id, self._jobs[block_id], shown_as)

    # ------------------------------------------------------------ status

    def status(self) -> dict[str, JobStatus]:
        """Each block's status, from the provider's last poll.

        The block monitor and the strategy both read this; one provider poll
        serves every call for ``provider.status_polling_interval`` seconds.
        A block just submitted makes the next call poll again; a block this
        pool cancelled shows as cancelled (``SCALED_IN``) at once.
        """
        block_ids = list(self._jobs)
        if not block_ids:
            return {}
        interval = float(self.provider.status_polling_interval)
        statuses = self._cache.read(block_ids, interval, self._poll_provider)
        for block_id, status in statuses.items():  # BLOCK_INFO for each state change
            self.reporter.report(block_id, self._jobs.get(block_id), status)
        return statuses

    def _poll_provider(self, block_ids: list[str]) -> dict[str, JobStatus]:
        try:
            statuses = self.provider.status([self._jobs[b] for b in block_ids])
        except Exception as e:
            logger.warning("htex %s: provider status failed: %s", self.label, e)
            return {b: JobStatus(JobState.UNKNOWN, message=str(e)) for b in block_ids}
        return dict(zip(block_ids, statuses, strict=True))

    def report_final_states(self) -> None:
        """With monitoring on, poll the provider once more so each block's last state is reported."""
        if self.reporter.sink is None or not self._jobs:
            return
        self._cache.invalidate()
        try:
            self.status()
        except Exception:
            logger.exception("htex %s: the last block status poll failed", self.label)

    # ------------------------------------------------------------ the interchange's side

    def registered_blocks(self) -> set[str]:
        """Blocks from which a manager has registered at some point."""
        interchange = self._interchange
        if interchange is None or interchange.exception is not None:
            return set()
        return {str(b) for b in interchange.request("status", {})["blocks_seen"]}

    def blocks_ended(self, block_ids: list[str]) -> None:
        """Tell the interchange these blocks are gone: their managers' tasks fail with ManagerLost now."""
        interchange = self._interchange
        if interchange is not None:
            interchange.request("blocks_cancelled", {"blocks": block_ids})

    def judge(self, statuses: dict[str, JobStatus]) -> None:
        """After a poll: apply ``error_handler`` to the blocks' states."""
        handler = self.error_handler
        if callable(handler):
            handler(self._owner, statuses)
        elif handler:
            reason = self._rule.polled(statuses, self.registered_blocks)
            if reason is not None:
                self._give_up(reason)

    def _give_up(self, reason: str) -> None:
        """Enter the bad state: outstanding and new tasks fail with :class:`BlocksFailed`."""
        interchange = self._interchange
        if interchange is None or interchange.exception is not None:
            return
        logger.error("htex %s: %s", self.label, reason)
        label = self.label
        interchange.fail(lambda: BlocksFailed(label, reason))

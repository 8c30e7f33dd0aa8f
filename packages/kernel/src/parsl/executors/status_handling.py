"""``BlockProviderExecutor``: the base class of executors that run their workers in provider blocks.

An executor of this kind asks an :class:`~parsl.providers.base.ExecutionProvider`
for blocks (batch jobs, local process groups, pods), each running a launch
command that starts workers which connect back to the executor. This class
keeps the block bookkeeping, talks to the provider, and offers the methods
the scaling strategy (:class:`~parsl.jobs.job_status_poller.JobStatusPoller`)
calls:

``scale_out_facade(n)`` / ``scale_in_facade(n)``
    Add or remove blocks; return their block ids.
``poll_facade()`` / ``status_facade``
    Poll the provider (at most once per ``status_polling_interval``) and
    read the last poll.
``handle_errors(status)``
    Decide after each poll whether failed blocks make the executor unusable
    (``block_error_handler``; see :mod:`parsl.jobs.error_handlers`).

A subclass implements :meth:`start`, :meth:`submit`, :meth:`shutdown`,
:attr:`outstanding` and :attr:`workers_per_node`, and either sets
``launch_cmd`` or overrides :meth:`_get_launch_command`. The poller
launches ``provider.init_blocks`` blocks after ``start``, and cancels every
block still active at cleanup, before ``shutdown``.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from abc import abstractmethod
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any

from parsl.executors.base import ParslExecutor
from parsl.executors.errors import ScalingFailed
from parsl.jobs.states import (
    TERMINAL_STATES,  # noqa: F401  (Parsl's scripts import it here)
    JobState,
    JobStatus,
)
from parsl.providers.base import ExecutionProvider
from parsl.timers import AtomicIDCounter
from parsl.typecheck import typechecked

logger = logging.getLogger(__name__)

BlockErrorHandler = Callable[["BlockProviderExecutor", dict[str, JobStatus]], None]

__all__ = ["BlockErrorHandler", "BlockProviderExecutor", "inherits_block_handling"]


def inherits_block_handling(executor: object) -> bool:
    """True when ``executor``'s class really inherits :class:`BlockProviderExecutor`'s code.

    An executor class may be *registered* as a virtual subclass (so that
    ``isinstance`` answers as Parsl's would) while starting, polling and
    cancelling its blocks itself; the poller must leave those to it.
    """
    return BlockProviderExecutor in type(executor).__mro__


class BlockProviderExecutor(ParslExecutor):
    """An executor whose workers run in blocks obtained from ``provider``.

    ``block_error_handler``: True (the default) uses
    :func:`~parsl.jobs.error_handlers.simple_error_handler` (the executor
    fails once every block has failed), False never fails the executor for
    failed blocks, and a callable ``(executor, status)`` decides itself.
    """

    @typechecked
    def __init__(
        self,
        *,
        provider: ExecutionProvider | None,
        block_error_handler: bool | BlockErrorHandler = True,
    ) -> None:
        from parsl.jobs.error_handlers import noop_error_handler, simple_error_handler

        if provider is not None and not isinstance(provider, ExecutionProvider):
            raise TypeError(
                f"provider={provider!r} is not valid: expected an ExecutionProvider or None"
            )
        if block_error_handler is True:
            self.block_error_handler: BlockErrorHandler = simple_error_handler
        elif block_error_handler is False:
            self.block_error_handler = noop_error_handler
        elif callable(block_error_handler):
            self.block_error_handler = block_error_handler
        else:
            raise TypeError(
                f"block_error_handler={block_error_handler!r} is not valid: "
                "expected True, False or a callable (executor, status)"
            )
        self._provider = provider
        self._executor_bad_state = threading.Event()
        self._executor_exception: BaseException | None = None
        self._block_id_counter = AtomicIDCounter()
        self._tasks: dict[Any, Future[Any]] = {}
        self.blocks_to_job_id: dict[str, Any] = {}
        """Block id -> the provider's job id, for every block ever started."""
        self.job_ids_to_block: dict[Any, str] = {}
        """The provider's job id -> block id."""
        self._last_poll_time = -math.inf
        self._status: dict[str, JobStatus] = {}
        self._simulated_status: dict[str, JobStatus] = {}
        self._blocks_lock = threading.RLock()

    # ------------------------------------------------------------ what subclasses give

    @property
    @abstractmethod
    def outstanding(self) -> int:
        """Tasks submitted and not yet finished.

        A subclass may define it as a property (return a
        :class:`~parsl.executors.base.TaskCount` to be callable too) or, as
        executors written for Parsl's newer releases do, as a method: the
        job status poller reads either.
        """

    @property
    @abstractmethod
    def workers_per_node(self) -> int | float:
        """Tasks one node of a block runs at once (the strategy's slots per node)."""

    def _get_launch_command(self, block_id: str) -> str:
        """The command a new block runs; by default the executor's ``launch_cmd``."""
        launch_cmd = getattr(self, "launch_cmd", None)
        if not isinstance(launch_cmd, str):
            raise ScalingFailed(
                self.label,
                f"{type(self).__name__} sets no launch_cmd string and does not override "
                "_get_launch_command(block_id)",
            )
        return launch_cmd

    # ------------------------------------------------------------ state

    @property
    def provider(self) -> ExecutionProvider | None:
        """Where blocks come from (None: the executor does not scale)."""
        return self._provider

    @property
    def status_polling_interval(self) -> float:
        """Seconds between provider polls: the provider's interval, or 0 without a provider."""
        return 0 if self._provider is None else float(self._provider.status_polling_interval)

    @property
    def tasks(self) -> dict[Any, Future[Any]]:
        """Futures of tasks in flight, by task id; a subclass adds and removes them.

        :meth:`set_bad_state_and_fail_all` fails every future still here.
        """
        return self._tasks

    @property
    def bad_state_is_set(self) -> bool:
        return self._executor_bad_state.is_set()

    @property
    def executor_exception(self) -> BaseException | None:
        return self._executor_exception

    def set_bad_state_and_fail_all(self, exception: BaseException) -> None:
        """Mark the executor unusable because of ``exception`` and fail every task in :attr:`tasks`."""
        logger.error("executor %s is in a bad state: %s", self.label, exception)
        self._executor_exception = exception
        self._executor_bad_state.set()
        for future in list(self._tasks.values()):
            if not future.done():
                future.set_exception(exception)

    # ------------------------------------------------------------ blocks

    def _launch_block(self, block_id: str) -> Any:
        provider = self._provider
        assert provider is not None
        job_name = f"parsl.{self.label}.block-{block_id}"
        job_id = provider.submit(self._get_launch_command(block_id), 1, job_name)
        if job_id is None or job_id == "":
            raise ScalingFailed(self.label, f"provider returned no job id for block {block_id}")
        logger.debug("executor %s: block %s is job %s", self.label, block_id, job_id)
        return job_id

    def scale_out_facade(self, n: int) -> list[str]:
        """Start ``n`` blocks; return the ids of those the provider accepted.

        A block the provider refuses is recorded as FAILED (its status says
        why), so the block error handler sees it at the next poll.
        """
        if isinstance(n, bool) or not isinstance(n, int) or n < 0:
            raise ValueError(f"n={n!r} is not valid: expected a number of blocks >= 0")
        if self._provider is None:
            raise ScalingFailed(self.label, "no execution provider to start blocks with")
        started: list[str] = []
        changes: dict[str, JobStatus] = {}
        with self._blocks_lock:
            for _ in range(n):
                block_id = str(self._block_id_counter.get_id())
                try:
                    job_id = self._launch_block(block_id)
                except Exception as e:
                    logger.error(
                        "executor %s: block %s failed to start: %s", self.label, block_id, e
                    )
                    failed = JobStatus(JobState.FAILED, f"failed to start block {block_id}: {e}")
                    self._simulated_status[block_id] = failed
                    self._status[block_id] = failed
                    changes[block_id] = failed
                    continue
                self.blocks_to_job_id[block_id] = job_id
                self.job_ids_to_block[job_id] = block_id
                self._status[block_id] = changes[block_id] = JobStatus(JobState.PENDING)
                started.append(block_id)
        self.send_monitoring_info(changes)
        return started

    def scale_in(self, blocks: int) -> list[str]:
        """Cancel up to ``blocks`` active blocks; return the ids of those cancelled.

        This default picks blocks in the order they were started, whatever
        they are running; an executor that knows which blocks are idle
        overrides it.
        """
        if self._provider is None:
            logger.error("executor %s: no execution provider to scale in", self.label)
            return []
        with self._blocks_lock:
            active = [b for b, s in self._status.items() if not s.terminal]
            chosen = active[:blocks]
            job_ids = [self.blocks_to_job_id[b] for b in chosen if b in self.blocks_to_job_id]
            if not job_ids:
                return []
            accepted = self._provider.cancel(job_ids)
            return [
                self.job_ids_to_block[j] for j, ok in zip(job_ids, accepted, strict=False) if ok
            ]

    def scale_in_facade(self, n: int, max_idletime: float | None = None) -> list[str]:
        """Remove ``n`` blocks (through :meth:`scale_in`); they show as SCALED_IN at once.

        ``max_idletime`` is passed on to a ``scale_in`` that takes it (the
        HighThroughputExecutor's does).
        """
        if max_idletime is None:
            removed = self.scale_in(n)
        else:
            removed = self.scale_in(n, max_idletime=max_idletime)  # type: ignore[call-arg]
        changes: dict[str, JobStatus] = {}
        with self._blocks_lock:
            for block_id in removed or []:
                status = JobStatus(JobState.SCALED_IN, "scaled in")
                self._status[block_id] = self._simulated_status[block_id] = status
                changes[block_id] = status
        self.send_monitoring_info(changes)
        return list(removed or [])

    def _get_block_and_job_ids(self) -> tuple[list[str], list[Any]]:
        with self._blocks_lock:
            block_ids = list(self.blocks_to_job_id)
            return block_ids, [self.blocks_to_job_id[b] for b in block_ids]

    def status(self) -> dict[str, JobStatus]:
        """Every block's status, polled from the provider now.

        Blocks this executor ended itself (refused at submission: FAILED;
        scaled in: SCALED_IN) keep the status it gave them.
        """
        result: dict[str, JobStatus] = {}
        if self._provider is not None:
            block_ids, job_ids = self._get_block_and_job_ids()
            if job_ids:
                statuses = self._provider.status(job_ids)
                result = dict(zip(block_ids, statuses, strict=True))
        with self._blocks_lock:
            result.update(self._simulated_status)
        return result

    def poll_facade(self) -> None:
        """Poll the provider if ``status_polling_interval`` has passed; report changed blocks."""
        now = time.monotonic()
        if now < self._last_poll_time + self.status_polling_interval:
            return
        self._last_poll_time = now
        try:
            new = self.status()
        except Exception as e:
            logger.warning("executor %s: provider status poll failed: %s", self.label, e)
            return
        with self._blocks_lock:
            previous, self._status = self._status, new
        changed = {
            b: s for b, s in new.items() if b not in previous or previous[b].state != s.state
        }
        self.send_monitoring_info(changed)

    @property
    def status_facade(self) -> dict[str, JobStatus]:
        """Each block's status as of the last poll (or the last scaling action)."""
        with self._blocks_lock:
            return dict(self._status)

    def handle_errors(self, status: dict[str, JobStatus]) -> None:
        """Called after each poll: let ``block_error_handler`` judge the blocks' states."""
        self.block_error_handler(self, status)

    # ------------------------------------------------------------ monitoring

    def create_monitoring_info(self, status: dict[str, JobStatus]) -> list[dict[str, Any]]:
        """One ``block`` table row per block in ``status``."""
        now = time.time()
        return [
            {
                "run_id": self.run_id,
                "executor_label": self.label,
                "block_id": block_id,
                "job_id": self.blocks_to_job_id.get(block_id),
                "timestamp": now,
                "status": s.state.name,
            }
            for block_id, s in status.items()
        ]

    def send_monitoring_info(self, status: dict[str, JobStatus]) -> None:
        """Send block changes to the monitoring sink, when monitoring is on."""
        sink = getattr(self, "monitoring_messages", None)
        if sink is None or not status:
            return
        from parsl.monitoring.types import MessageType

        for row in self.create_monitoring_info(status):
            sink.send((MessageType.BLOCK_INFO, row))

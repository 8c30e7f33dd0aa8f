"""The block side of the HighThroughputExecutor: submit, cancel and poll blocks through its provider.

:class:`BlockScalingMixin` holds the methods the strategy (the kernel's
``ScalableExecutor`` protocol) and the :class:`BlockMonitor` call, and the
bookkeeping behind them; :class:`ProviderStatusCache` keeps the last
provider poll so that those two threads share one ``squeue`` (or the like)
per ``provider.status_polling_interval``.
"""

from __future__ import annotations

import itertools
import logging
import math
import os
import threading
import time
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

from parsl.argument_checks import check_int
from parsl.executors.errors import ScalingFailed
from parsl.executors.high_throughput import options
from parsl.executors.high_throughput.block_monitor import MAX_FAILED_BLOCKS
from parsl.executors.high_throughput.errors import BlocksFailed
from parsl.executors.high_throughput.monitoring_reports import BlockReporter
from parsl.executors.high_throughput.mpi_resources import max_concurrent_tasks
from parsl.executors.high_throughput.worker_pool import available_cpus, worker_count
from parsl.jobs.states import JobState, JobStatus
from parsl.jobs.walltime import drain_before_walltime, walltime_to_seconds
from parsl.providers.base import ExecutionProvider

if TYPE_CHECKING:
    from parsl.executors.high_throughput.client import InterchangeClient

logger = logging.getLogger(__name__)

StatusPoll = Callable[[list[str]], dict[str, JobStatus]]


class ProviderStatusCache:
    """The last provider status poll of an executor's blocks, reused for one polling interval.

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


class BlockScalingMixin:
    """Scale out, scale in and block status for HighThroughputExecutor (needs the attributes below)."""

    # Provided by the executor.
    label: str
    provider: ExecutionProvider
    logdir: str | None
    cert_dir: str | None
    launch_cmd: str
    address: str
    max_workers_per_node: float
    cores_per_worker: float
    mem_per_worker: float | None
    prefetch_capacity: int
    heartbeat_period: float
    heartbeat_threshold: float
    poll_period: int
    worker_logdir_root: str | None
    cpu_affinity: str
    drain_period: float | None
    available_accelerators: list[str]
    worker_debug: bool
    enable_mpi_mode: bool
    mpi_launcher: str
    address_probe_timeout: int | None
    _client: InterchangeClient | None
    _closed: bool

    if TYPE_CHECKING:

        @property
        def bad_state_is_set(self) -> bool: ...

        def set_bad_state_and_fail_all(
            self, make_exception: Callable[[], BaseException]
        ) -> None: ...

    def _init_block_scaling(self) -> None:
        """Set up the block bookkeeping (called from the executor's ``__init__``)."""
        self.blocks: dict[str, str] = {}  # block id -> provider job id
        self._block_ids = itertools.count()
        self._scaling_lock = threading.Lock()
        self._submit_failures = 0  # consecutive provider.submit failures
        self._status_cache = ProviderStatusCache()
        self._block_reporter = BlockReporter(self.label)

    @property
    def workers_per_node(self) -> int:
        """Workers a node like this one runs (the strategy's slots per node)."""
        if self.enable_mpi_mode:  # MPI tasks at once per block (one manager per block)
            return max_concurrent_tasks(self.max_workers_per_node, self.provider.nodes_per_block)
        cpus = len(available_cpus())
        return worker_count(
            self.max_workers_per_node,
            self.cores_per_worker,
            None,
            self.available_accelerators,
            cpus,
            math.inf,
        )

    def _launch_command(self, block_id: str) -> str:
        assert self._client is not None and self.logdir is not None
        return options.render_launch_cmd(
            self.launch_cmd,
            block_id,
            address=self.address,
            worker_port=self._client.worker_port,
            max_workers_per_node=self.max_workers_per_node,
            cores_per_worker=self.cores_per_worker,
            mem_per_worker=self.mem_per_worker,
            prefetch_capacity=self.prefetch_capacity,
            heartbeat_period=self.heartbeat_period,
            heartbeat_threshold=self.heartbeat_threshold,
            poll_period=self.poll_period,
            logdir=self._worker_logdir(),
            cpu_affinity=self.cpu_affinity,
            drain_period=self.effective_drain_period,
            accelerators=self.available_accelerators,
            cert_dir=self.cert_dir,
            debug=self.worker_debug,
            mpi=self.mpi_launcher if self.enable_mpi_mode else None,
            address_probe_timeout=self.address_probe_timeout,
        )

    def _worker_logdir(self) -> str:
        assert self.logdir is not None
        if self.worker_logdir_root is not None:
            return os.path.join(self.worker_logdir_root, self.label)
        return os.path.join(self.logdir, "workers")

    @property
    def effective_drain_period(self) -> float | None:
        """Seconds after start when a manager stops taking tasks.

        ``drain_period`` if given; otherwise, when the provider's scheduler
        enforces walltime, shortly before the block's walltime runs out, so
        no task is sent to a block about to be killed (walltime-aware dispatch).
        """
        if self.drain_period is not None:
            return self.drain_period
        if not getattr(self.provider, "walltime_enforced", False):
            return None
        try:
            return drain_before_walltime(walltime_to_seconds(self.provider.walltime))
        except Exception:
            logger.warning(
                "htex %s: cannot read provider walltime %r",
                self.label,
                getattr(self.provider, "walltime", None),
            )
            return None

    def scale_out(self, blocks: int = 1) -> list[str]:
        """Submit ``blocks`` new blocks to the provider; return their block ids."""
        check_int("blocks", blocks, 0)
        if self._client is None or self._closed:
            raise ScalingFailed(self.label, "executor is not running")
        new: list[str] = []
        with self._scaling_lock:
            for _ in range(blocks):
                block_id = str(next(self._block_ids))
                command = self._launch_command(block_id)
                try:
                    job_id = self.provider.submit(
                        command, 1, f"parsl.{self.label}.block-{block_id}"
                    )
                except Exception as e:
                    self._submit_failed(block_id, e)
                    raise ScalingFailed(
                        self.label, f"provider could not start block {block_id}: {e}"
                    ) from e
                self._submit_failures = 0
                self.blocks[block_id] = str(job_id)  # a new block: the next status() polls
                self._block_reporter.report(block_id, str(job_id), JobStatus(JobState.PENDING))
                new.append(block_id)
                logger.info("htex %s: block %s is job %s", self.label, block_id, job_id)
        return new

    def _submit_failed(self, block_id: str, error: Exception) -> None:
        """After MAX_FAILED_BLOCKS submissions fail in a row, stop: bad state, outstanding tasks fail.

        A refused submission never becomes a job, so the block monitor (which
        counts failed jobs) cannot see it; without this the strategy would
        retry the scheduler every period forever while tasks wait.
        """
        self._block_reporter.report(block_id, None, JobStatus(JobState.FAILED, message=str(error)))
        self._submit_failures += 1
        if self._submit_failures >= MAX_FAILED_BLOCKS and not self.bad_state_is_set:
            reason = (
                f"{self._submit_failures} block submissions failed in a row; "
                f"last, block {block_id}: {error}"
            )
            logger.error("htex %s: %s", self.label, reason)
            self.set_bad_state_and_fail_all(lambda: BlocksFailed(self.label, reason))

    def scale_in(self, blocks: int = 1, force: bool = False) -> list[str]:
        """Cancel up to ``blocks`` blocks, idle ones first; busy ones only with ``force``.

        Returns the block ids cancelled. Tasks still running on a forced
        block fail with ManagerLost.
        """
        check_int("blocks", blocks, 0)
        if self._client is None or self._closed:
            return []
        with self._scaling_lock:
            candidates = [b for b, s in self.status().items() if not s.terminal]
            reply = self._client.request(
                "pick_blocks_to_remove",
                {"candidates": candidates, "count": blocks, "force": force},
            )
            chosen = [str(b) for b in reply["blocks"]]
            if chosen:
                self._cancel_blocks(chosen, JobStatus(JobState.SCALED_IN, message="scaled in"))
        return chosen

    def _cancel_blocks(self, block_ids: list[str], shown_as: JobStatus) -> None:
        """Cancel blocks through the provider; those it accepts show as ``shown_as`` at once."""
        accepted = self.provider.cancel([self.blocks[b] for b in block_ids])
        cancelled = [b for b, ok in zip(block_ids, accepted, strict=False) if ok]
        self._status_cache.record_cancelled(cancelled, shown_as)
        for block_id in cancelled:
            self._block_reporter.report(block_id, self.blocks[block_id], shown_as)

    def blocks_ended(self, block_ids: list[str]) -> None:
        """Tell the interchange these blocks are gone: their managers' tasks fail with ManagerLost now."""
        if self._client is not None and not self._closed:
            self._client.request("blocks_cancelled", {"blocks": block_ids})

    def status(self) -> dict[str, JobStatus]:
        """Each block's status, from the provider's last poll.

        The block monitor and the strategy both read this; one provider poll
        serves every call for ``provider.status_polling_interval`` seconds.
        A block just submitted makes the next call poll again; a block this
        executor cancelled shows as cancelled (``SCALED_IN``) at once.
        """
        block_ids = list(self.blocks)
        if not block_ids:
            return {}
        interval = float(self.provider.status_polling_interval)
        statuses = self._status_cache.read(block_ids, interval, self._poll_provider)
        for block_id, status in statuses.items():  # BLOCK_INFO for each state change
            self._block_reporter.report(block_id, self.blocks.get(block_id), status)
        return statuses

    def report_final_block_states(self) -> None:
        """With monitoring on, poll the provider once more so each block's last state is reported."""
        if self._block_reporter.sink is None or not self.blocks:
            return
        self._status_cache.invalidate()
        try:
            self.status()
        except Exception:
            logger.exception("htex %s: the last block status poll failed", self.label)

    def _poll_provider(self, block_ids: list[str]) -> dict[str, JobStatus]:
        try:
            statuses = self.provider.status([self.blocks[b] for b in block_ids])
        except Exception as e:
            logger.warning("htex %s: provider status failed: %s", self.label, e)
            return {b: JobStatus(JobState.UNKNOWN, message=str(e)) for b in block_ids}
        return dict(zip(block_ids, statuses, strict=True))

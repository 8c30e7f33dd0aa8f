"""The thread that polls block-running executors and applies the scaling strategy to them.

Two kinds of executor take part: a
:class:`~parsl.executors.status_handling.BlockProviderExecutor` (Parsl's base
class for out-of-tree executors; polled through ``poll_facade``, judged by
its ``block_error_handler``, scaled through ``scale_out_facade`` /
``scale_in_facade``, its initial blocks started and its remaining blocks
cancelled by this poller) and any executor offering :class:`ScalableExecutor`
(the HighThroughputExecutor, which starts and cancels its own blocks; it is
registered as a virtual BlockProviderExecutor subclass for ``isinstance``,
but only classes inheriting the base's code get the first treatment).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from typing import Any, Protocol, runtime_checkable

from parsl.dataflow.lean_event import LeanEvent
from parsl.executors.base import outstanding_of
from parsl.executors.status_handling import BlockProviderExecutor, inherits_block_handling
from parsl.jobs.states import JobStatus
from parsl.jobs.strategy import ExecutorSnapshot, ScalingDecision, Strategy
from parsl.providers.base import ExecutionProvider

logger = logging.getLogger(__name__)


@runtime_checkable
class ScalableExecutor(Protocol):
    """What an executor offers to be scaled in blocks (the HighThroughputExecutor does)."""

    label: str
    provider: ExecutionProvider

    @property
    def outstanding(self) -> int: ...

    @property
    def workers_per_node(self) -> int: ...

    @property
    def bad_state_is_set(self) -> bool: ...

    def status(self) -> dict[str, JobStatus]: ...

    def scale_out(self, blocks: int = 1) -> list[str]: ...

    def scale_in(self, blocks: int = 1) -> list[str]:
        """Remove up to ``blocks`` idle blocks; the strategy passes only ``blocks``."""
        ...


def snapshot(ex: Any, now: float) -> ExecutorSnapshot:
    """Read one executor's numbers for the strategy (a block-provider executor's last poll)."""
    p = ex.provider
    statuses = ex.status_facade if inherits_block_handling(ex) else ex.status()
    active = sum(1 for s in statuses.values() if not s.terminal)
    return ExecutorSnapshot(
        label=ex.label,
        outstanding=outstanding_of(ex),  # a property here, a method in Parsl's newer executors
        active_blocks=active,
        slots_per_block=max(1, int(ex.workers_per_node) * max(1, p.nodes_per_block)),
        min_blocks=p.min_blocks,
        max_blocks=p.max_blocks,
        parallelism=float(p.parallelism),
        now=now,
    )


def apply(ex: Any, decision: ScalingDecision) -> None:
    """Carry out one decision on one executor."""
    block_provider = inherits_block_handling(ex)
    if decision.scale_out:
        logger.info("scaling %s out by %d: %s", ex.label, decision.scale_out, decision.reason)
        if block_provider:
            ex.scale_out_facade(decision.scale_out)
        else:
            ex.scale_out(decision.scale_out)
    elif decision.scale_in:
        logger.info("scaling %s in by %d: %s", ex.label, decision.scale_in, decision.reason)
        if block_provider:
            ex.scale_in_facade(decision.scale_in)
        else:
            ex.scale_in(decision.scale_in)


def _takes_part(ex: Any) -> bool:
    if inherits_block_handling(ex):
        return ex.provider is not None
    return isinstance(ex, ScalableExecutor)


class JobStatusPoller:
    """Every ``period`` seconds: poll each block-running executor, judge its blocks, scale it.

    Our DataFlowKernel builds it as ``JobStatusPoller(executors, strategy,
    period, max_idletime)``; Parsl's keyword form
    ``JobStatusPoller(strategy=..., max_idletime=..., strategy_period=...)``
    followed by :meth:`add_executors` works too.
    """

    def __init__(
        self,
        executors: Sequence[Any] | None = None,
        strategy: str | None = None,
        period: float | None = None,
        max_idletime: float = 120.0,
        *,
        strategy_period: float | None = None,
        monitoring: Any = None,
    ) -> None:
        if period is None:
            period = 5.0 if strategy_period is None else strategy_period
        if isinstance(period, bool) or not isinstance(period, int | float) or period <= 0:
            raise ValueError(f"strategy_period={period!r} is not valid: expected seconds > 0")
        self._strategy = Strategy(strategy=strategy, max_idletime=max_idletime)
        self.scaler = self._strategy.scaler
        self.period = float(period)
        self.monitoring = monitoring
        self.executors: list[Any] = []
        self._stop = LeanEvent()
        self._thread: threading.Thread | None = None
        self._started = False
        self._lock = threading.Lock()
        self.callback: Callable[[], object] = self.poll_once
        """What each period runs (Parsl's name, as on its ``Timer``): a wrapper put here sees
        every strategy pass; one that raises is logged and the next period runs it again."""
        self.add_executors(executors or [])

    def add_executors(self, executors: Sequence[Any]) -> None:
        """Take part in polling and scaling: executors that run blocks; others are ignored.

        After :meth:`start` (``dfk.add_executors`` mid-run) the new
        block-provider executors get their initial blocks at once, and the
        polling thread starts if it was not needed before.
        """
        with self._lock:  # never halfway through a polling pass (initial blocks start once)
            new = [ex for ex in executors if _takes_part(ex) and ex not in self.executors]
            self.executors.extend(new)
            self._strategy.add_executors(new)
            if self._started and new:
                self._launch_init_blocks([ex for ex in new if inherits_block_handling(ex)])
                self._start_thread()

    def _block_providers(self) -> list[BlockProviderExecutor]:
        return [ex for ex in self.executors if inherits_block_handling(ex)]

    def start(self) -> None:
        """Start the initial blocks of block-provider executors, then poll on a thread if needed."""
        self._started = True
        self._launch_init_blocks(self._block_providers())
        self._start_thread()

    def _launch_init_blocks(self, executors: list[BlockProviderExecutor]) -> None:
        try:
            self._strategy.launch_init_blocks(executors)
        except Exception:
            logger.exception("starting initial blocks failed")

    def _start_thread(self) -> None:
        if self._thread is not None or self._stop.is_set():
            return
        if not self._block_providers() and (not self.executors or self.scaler.strategy == "none"):
            return
        self._thread = threading.Thread(target=self._run, name="parsl-strategy", daemon=True)
        self._thread.start()

    def poll_once(self, now: float | None = None) -> None:
        """One pass: poll and judge block-provider executors, then one strategy pass over all."""
        with self._lock:
            self._poll_once(now)

    def _poll_once(self, now: float | None) -> None:
        for ex in self._block_providers():
            if ex.bad_state_is_set:
                continue
            try:
                ex.poll_facade()
                ex.handle_errors(ex.status_facade)
            except Exception:
                logger.exception("status poll failed for executor %s", ex.label)
        self._strategy.strategize(self.executors, now)

    poll = poll_once
    """Parsl's name for one pass."""

    def make_callback(self) -> None:
        """Run :attr:`callback` now (Parsl's name)."""
        self.callback()

    def _run(self) -> None:
        while not self._stop.wait(self.period):
            try:
                self.callback()
            except Exception:
                logger.exception("strategy period failed; the next one runs as usual")

    def close(self, timeout: float | None = 10.0) -> None:
        """Stop polling (waiting at most ``timeout`` for a pass), then cancel block-provider blocks.

        Every block a block-provider executor still has active is scaled
        in, before the DataFlowKernel shuts the executors down.
        """
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
        for ex in self._block_providers():
            active = [b for b, s in ex.status_facade.items() if not s.terminal]
            if not active:
                continue
            try:
                ex.scale_in_facade(len(active))
            except Exception:
                logger.exception("cancelling the blocks of executor %s failed", ex.label)

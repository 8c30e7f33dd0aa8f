"""The thread that applies the scaling strategy to executors that manage blocks."""

from __future__ import annotations

import logging
import threading
import time
from typing import Any, Protocol, runtime_checkable

from parsl.jobs.states import JobStatus
from parsl.jobs.strategy import BlockScaler, ExecutorSnapshot, ScalingDecision
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

    def scale_in(self, blocks: int = 1, force: bool = False) -> list[str]: ...


def snapshot(ex: ScalableExecutor, now: float) -> ExecutorSnapshot:
    """Read one executor's numbers for the strategy."""
    p = ex.provider
    active = sum(1 for s in ex.status().values() if not s.terminal)
    return ExecutorSnapshot(
        label=ex.label,
        outstanding=ex.outstanding,
        active_blocks=active,
        slots_per_block=max(1, ex.workers_per_node * max(1, p.nodes_per_block)),
        min_blocks=p.min_blocks,
        max_blocks=p.max_blocks,
        parallelism=float(p.parallelism),
        now=now,
    )


def apply(ex: ScalableExecutor, decision: ScalingDecision) -> None:
    """Carry out one decision on one executor."""
    if decision.scale_out:
        logger.info("scaling %s out by %d: %s", ex.label, decision.scale_out, decision.reason)
        ex.scale_out(decision.scale_out)
    elif decision.scale_in:
        logger.info("scaling %s in by %d: %s", ex.label, decision.scale_in, decision.reason)
        ex.scale_in(decision.scale_in)


class JobStatusPoller:
    """Every ``period`` seconds: snapshot each scalable executor, decide, apply."""

    def __init__(
        self, executors: list[Any], strategy: str | None, period: float, max_idletime: float
    ) -> None:
        self.executors = [e for e in executors if isinstance(e, ScalableExecutor)]
        self.scaler = BlockScaler(strategy, max_idletime)
        self.period = period
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Start polling, unless nothing can be scaled."""
        if not self.executors or self.scaler.strategy == "none":
            return
        self._thread = threading.Thread(target=self._run, name="parsl-strategy", daemon=True)
        self._thread.start()

    def poll_once(self, now: float | None = None) -> None:
        """One strategy pass over every scalable executor."""
        now = time.monotonic() if now is None else now
        for ex in self.executors:
            if ex.bad_state_is_set:
                continue
            try:
                apply(ex, self.scaler.decide(snapshot(ex, now)))
            except Exception:
                logger.exception("strategy pass failed for executor %s", ex.label)

    def _run(self) -> None:
        while not self._stop.wait(self.period):
            self.poll_once()

    def close(self, timeout: float = 10.0) -> None:
        """Stop polling; waits at most ``timeout`` for a pass in progress."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)

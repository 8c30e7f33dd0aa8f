"""Elastic scaling as a pure function of what the executors report.

:class:`BlockScaler` takes a :class:`ExecutorSnapshot` (tasks outstanding,
blocks active, slots per block, the provider's limits, the time) and returns
a :class:`ScalingDecision`; it does no I/O and reads no clock. The
:class:`~parsl.jobs.poller.JobStatusPoller` thread feeds it every
``strategy_period`` seconds and carries out its decisions.

Strategies (``Config(strategy=...)``):

``"none"`` (or None)
    Only ``init_blocks`` (started by the executor itself); never scale.
``"simple"``
    Keep at least ``min_blocks``; scale out, up to ``max_blocks``, until
    ``ceil(outstanding * parallelism / slots_per_block)`` blocks are active;
    once no task has been outstanding for ``max_idletime`` seconds, scale in
    to ``min_blocks``.
``"htex_auto_scale"``
    As ``simple``, and also give back blocks beyond what the outstanding
    tasks need once the executor has been over-provisioned for
    ``max_idletime`` seconds (the executor picks idle blocks; busy ones are
    never forced).
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

logger = logging.getLogger(__name__)

STRATEGIES = ("none", "simple", "htex_auto_scale")


@dataclass(frozen=True)
class ExecutorSnapshot:
    """One executor as the strategy sees it at one moment."""

    label: str
    outstanding: int
    active_blocks: int
    slots_per_block: int
    min_blocks: int
    max_blocks: int
    parallelism: float
    now: float


@dataclass(frozen=True)
class ScalingDecision:
    """Blocks to add and blocks to give back (never both)."""

    scale_out: int = 0
    scale_in: int = 0
    reason: str = ""


class BlockScaler:
    """Remembers, per executor, since when it has been idle or over-provisioned."""

    def __init__(self, strategy: str | None, max_idletime: float) -> None:
        strategy = "none" if strategy is None else strategy
        if strategy not in STRATEGIES:
            raise ValueError(f"strategy {strategy!r} is not one of {STRATEGIES}")
        self.strategy = strategy
        self.max_idletime = max_idletime
        self._idle_since: dict[str, float] = {}
        self._surplus_since: dict[str, float] = {}

    def blocks_needed(self, s: ExecutorSnapshot) -> int:
        """Blocks the outstanding tasks call for, within [min_blocks, max_blocks].

        Outstanding tasks always call for at least one block, whatever the
        parallelism: with ``parallelism=0`` the executor still gets one block
        (Parsl's fix for its issue #97), or its tasks would wait forever.
        """
        need = 0
        if s.outstanding > 0:
            need = max(1, math.ceil(s.outstanding * s.parallelism / max(1, s.slots_per_block)))
        return min(max(need, s.min_blocks), s.max_blocks)

    def decide(self, s: ExecutorSnapshot) -> ScalingDecision:
        """What to do now for executor ``s.label``."""
        if self.strategy == "none":
            return ScalingDecision(reason="strategy none")
        need = self.blocks_needed(s)
        if s.outstanding > 0:
            self._idle_since.pop(s.label, None)
        else:
            self._idle_since.setdefault(s.label, s.now)
        if s.active_blocks < need:
            self._surplus_since.pop(s.label, None)
            return ScalingDecision(
                scale_out=need - s.active_blocks,
                reason=f"{s.outstanding} tasks need {need} blocks, {s.active_blocks} active",
            )
        if s.outstanding == 0 and s.active_blocks > s.min_blocks:
            idle_for = s.now - self._idle_since[s.label]
            if idle_for >= self.max_idletime:
                return ScalingDecision(
                    scale_in=s.active_blocks - s.min_blocks,
                    reason=f"idle for {idle_for:.0f} s (max_idletime {self.max_idletime:g} s)",
                )
            return ScalingDecision(reason="idle, within max_idletime")
        if self.strategy == "htex_auto_scale" and s.active_blocks > need:
            since = self._surplus_since.setdefault(s.label, s.now)
            if s.now - since >= self.max_idletime:
                self._surplus_since.pop(s.label, None)
                return ScalingDecision(
                    scale_in=s.active_blocks - need,
                    reason=f"{s.active_blocks} blocks active, {need} needed",
                )
            return ScalingDecision(reason="over-provisioned, within max_idletime")
        self._surplus_since.pop(s.label, None)
        return ScalingDecision(reason="enough blocks")


class Strategy:
    """Parsl's scaling-strategy object: one pass over a list of executors at a time.

    ``Strategy(strategy="simple", max_idletime=120.0)``; the
    :class:`~parsl.jobs.job_status_poller.JobStatusPoller` calls
    :meth:`strategize` every ``strategy_period`` seconds. For a
    :class:`~parsl.executors.status_handling.BlockProviderExecutor`, the
    first pass also starts the provider's ``init_blocks`` (whatever the
    strategy, ``"none"`` included). The decisions themselves are
    :class:`BlockScaler`'s.
    """

    def __init__(self, *, strategy: str | None, max_idletime: float) -> None:
        self.scaler = BlockScaler(strategy, max_idletime)
        self.executors: dict[str, dict[str, bool]] = {}
        """Per executor label: ``{"first": True}`` until its initial blocks were started."""

    @property
    def strategy(self) -> str:
        """The strategy's name (``"none"``, ``"simple"`` or ``"htex_auto_scale"``)."""
        return self.scaler.strategy

    def add_executors(self, executors: Sequence[Any]) -> None:
        """Start tracking ``executors`` (their initial blocks are still to be started)."""
        for ex in executors:
            self.executors.setdefault(ex.label, {"first": True})

    def launch_init_blocks(self, executors: Sequence[Any]) -> None:
        """Start ``provider.init_blocks`` blocks for each block-provider executor, once."""
        from parsl.executors.status_handling import inherits_block_handling

        for ex in executors:
            state = self.executors.setdefault(ex.label, {"first": True})
            if not state["first"]:
                continue
            state["first"] = False
            if inherits_block_handling(ex) and ex.provider is not None:
                blocks = int(ex.provider.init_blocks)
                logger.info("executor %s: starting %d initial block(s)", ex.label, blocks)
                ex.scale_out_facade(blocks)

    def strategize(self, executors: Sequence[Any], now: float | None = None) -> None:
        """One pass: initial blocks where still due, then scale each executor not in a bad state."""
        from parsl.jobs.poller import apply, snapshot

        self.launch_init_blocks(executors)
        now = time.monotonic() if now is None else now
        for ex in executors:
            if ex.bad_state_is_set:
                continue
            try:
                apply(ex, self.scaler.decide(snapshot(ex, now)))
            except Exception:
                logger.exception("strategy pass failed for executor %s", ex.label)

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

import math
from dataclasses import dataclass

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
        """Blocks the outstanding tasks call for, within [min_blocks, max_blocks]."""
        need = 0
        if s.outstanding > 0 and s.parallelism > 0:
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

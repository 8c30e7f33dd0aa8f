"""What the HTEX-on-Slurm tests share: the block shape they use and the executor over it."""

from __future__ import annotations

from typing import Any

from block_apps import one_worker_htex

from parsl.executors import HighThroughputExecutor
from parsl.launchers import SrunLauncher
from parsl.providers import SlurmProvider


def slurm_provider(**kw: Any) -> SlurmProvider:
    """One-node blocks in ``debug`` with srun, polled every 0.5 s; ``kw`` overrides any setting."""
    settings: dict[str, Any] = {
        "partition": "debug",
        "launcher": SrunLauncher(),
        "exclusive": False,
        "init_blocks": 1,
        "walltime": "00:05:00",
        "nodes_per_block": 1,
    }
    provider = SlurmProvider(**(settings | kw))
    provider.polling_interval_s = 0.5  # see ended blocks quickly
    return provider


def htex(provider: SlurmProvider, label: str = "slurm_htex") -> HighThroughputExecutor:
    """The shared one-worker executor (block_apps.one_worker_htex) over a Slurm block."""
    return one_worker_htex(provider, label)

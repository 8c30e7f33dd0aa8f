"""What the HTEX-on-Slurm tests share: a polling helper, the block shape they use, the executor."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from parsl.executors import HighThroughputExecutor
from parsl.launchers import SrunLauncher
from parsl.providers import SlurmProvider


def wait_until(condition: Callable[[], bool], timeout: float = 60) -> None:
    """Poll ``condition`` every 0.2 s; fail the test if it is not true within ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not reached in time"
        time.sleep(0.2)


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
    """One worker per block (the node has two CPUs), with quick heartbeats."""
    return HighThroughputExecutor(
        label=label,
        provider=provider,
        max_workers_per_node=1,
        cores_per_worker=1,
        heartbeat_period=1,
        heartbeat_threshold=5,
    )

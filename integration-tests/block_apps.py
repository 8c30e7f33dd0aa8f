"""Apps, a poller and an executor shared by the executor-on-a-scheduler tests (Slurm, Grid Engine, Kubernetes).

Each app reports one environment variable of wherever it ran (``SLURM_JOB_ID``,
``JOB_ID``, ``PARSL_POD_NAME``), which is how a test knows which block ran it.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import parsl
from parsl import python_app
from parsl.config import Config
from parsl.executors import HighThroughputExecutor
from parsl.providers.base import ExecutionProvider


def wait_until(condition: Callable[[], bool], timeout: float = 60) -> None:
    """Poll ``condition`` every 0.2 s; fail the test if it is not true within ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not reached in time"
        time.sleep(0.2)


def one_worker_htex(provider: ExecutionProvider, label: str) -> HighThroughputExecutor:
    """One worker per block (the test nodes have two CPUs), with quick heartbeats."""
    return HighThroughputExecutor(
        label=label,
        provider=provider,
        max_workers_per_node=1,
        cores_per_worker=1,
        heartbeat_period=1,
        heartbeat_threshold=5,
    )


@contextmanager
def htex_loader(
    run_dir: str, default_label: str
) -> Iterator[Callable[..., HighThroughputExecutor]]:
    """A function loading a DataFlowKernel with one such executor; cleared (blocks cancelled) on exit."""

    def load(
        provider: ExecutionProvider, label: str = default_label, **config: Any
    ) -> HighThroughputExecutor:
        executor = one_worker_htex(provider, label)
        parsl.load(Config(executors=[executor], run_dir=run_dir, **config))
        return executor

    try:
        yield load
    finally:
        parsl.clear()


@python_app
def env_of(name: str) -> str:
    """The task's value of ``name`` ("none" if unset)."""
    import os

    return os.environ.get(name, "none")


@python_app
def nap_then_env_of(name: str, seconds: float) -> str:
    """Sleep, then the task's value of ``name``."""
    import os
    import time

    time.sleep(seconds)
    return os.environ.get(name, "none")


@python_app
def mark_then_sleep(name: str, marker: str, seconds: float) -> str:
    """Append the task's ``name`` to ``marker`` (proof it started), sleep, return it."""
    import os
    import time

    value = os.environ.get(name, "none")
    with open(marker, "a") as f:
        f.write(value + "\n")
    time.sleep(seconds)
    return value

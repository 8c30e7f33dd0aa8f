from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from slurm_blocks import htex
from slurm_cluster import SlurmCluster

import parsl
from parsl.config import Config
from parsl.executors import HighThroughputExecutor
from parsl.providers import SlurmProvider


@pytest.fixture(scope="session")
def slurm(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SlurmCluster]:
    """A real one-node Slurm on loopback for the whole session; SLURM_CONF points at it."""
    cluster = SlurmCluster(tmp_path_factory.mktemp("slurm"))
    cluster.start()
    previous = os.environ.get("SLURM_CONF")
    os.environ["SLURM_CONF"] = str(cluster.conf)
    try:
        yield cluster
    finally:
        cluster.stop()
        if previous is None:
            os.environ.pop("SLURM_CONF", None)
        else:
            os.environ["SLURM_CONF"] = previous


@pytest.fixture
def load(slurm: SlurmCluster, tmp_path: Path) -> Iterator[Callable[..., HighThroughputExecutor]]:
    """Load a DataFlowKernel with one Slurm-backed htex; cleared (blocks cancelled) afterwards."""

    def _load(
        provider: SlurmProvider, label: str = "slurm_htex", **config: Any
    ) -> HighThroughputExecutor:
        executor = htex(provider, label)
        parsl.load(Config(executors=[executor], run_dir=str(tmp_path / "runinfo"), **config))
        return executor

    try:
        yield _load
    finally:
        parsl.clear()

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from block_apps import htex_loader
from slurm_cluster import SlurmCluster

from parsl.executors import HighThroughputExecutor


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
    with htex_loader(str(tmp_path / "runinfo"), "slurm_htex") as load_htex:
        yield load_htex

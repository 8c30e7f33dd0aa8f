"""Fixtures for the Slurm integration tests; the real one-node Slurm (``slurm``) is in ../conftest.py."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from block_apps import htex_loader
from slurm_cluster import SlurmCluster

from parsl.executors import HighThroughputExecutor


@pytest.fixture
def load(slurm: SlurmCluster, tmp_path: Path) -> Iterator[Callable[..., HighThroughputExecutor]]:
    """Load a DataFlowKernel with one Slurm-backed htex; cleared (blocks cancelled) afterwards."""
    with htex_loader(str(tmp_path / "runinfo"), "slurm_htex") as load_htex:
        yield load_htex

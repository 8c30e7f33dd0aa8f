"""A real one-node Slurm on loopback for the Work Queue / TaskVine block tests (same harness as integration-tests/slurm)."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from slurm_cluster import SlurmCluster


@pytest.fixture(scope="module")
def slurm(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SlurmCluster]:
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


# Workers (in Slurm jobs, blocks and factories) unpickle these tests' functions by module name.
os.environ["PYTHONPATH"] = os.pathsep.join(
    p
    for p in (
        str(Path(__file__).parent),
        str(Path(__file__).parent.parent),
        os.environ.get("PYTHONPATH", ""),
    )
    if p
)

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from gridengine_cluster import GridEngineCluster


@pytest.fixture(scope="session")
def gridengine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[GridEngineCluster]:
    """A real one-node Grid Engine cell for the whole session; SGE_ROOT and its ports point at it."""
    cluster = GridEngineCluster(tmp_path_factory.mktemp("gridengine"))
    cluster.start()
    previous = {key: os.environ.get(key) for key in cluster.env_vars()}
    os.environ.update(cluster.env_vars())
    try:
        yield cluster
    finally:
        cluster.stop()
        for key, value in previous.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value

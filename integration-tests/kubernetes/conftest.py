from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

# The stand-in Kubernetes API server lives with the providers package's tests.
sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "packages" / "providers" / "tests"))
from kube_standin import StandInCluster, standin_cluster


@pytest.fixture
def kube() -> Iterator[StandInCluster]:
    """A stand-in Kubernetes API server and kubelet on 127.0.0.1 (pods run as local processes)."""
    with standin_cluster(namespaces=("default", "parsl")) as cluster:
        yield cluster

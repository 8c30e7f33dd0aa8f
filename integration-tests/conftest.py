"""Shared fixtures for the integration tests: real DataFlowKernels, real processes, a real Slurm."""

from __future__ import annotations

import contextlib
import os
import signal
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from child_processes import Scripts, group_alive
from slurm_cluster import SlurmCluster

import parsl
from parsl.config import Config
from parsl.dataflow.dflow import DataFlowKernel
from parsl.executors import ThreadPoolExecutor


@pytest.fixture
def run_dir(tmp_path: Path) -> str:
    """A fresh Parsl run directory (``runinfo``) for this test only."""
    return str(tmp_path / "runinfo")


@pytest.fixture(autouse=True)
def _no_dfk_left_behind() -> Iterator[None]:
    """Every test starts and ends without a loaded DataFlowKernel."""
    parsl.clear()
    yield
    parsl.clear()


@pytest.fixture
def dfk(run_dir: str) -> Iterator[DataFlowKernel]:
    """A loaded DataFlowKernel with four threads labelled ``threads``; cleared afterwards."""
    config = Config(executors=[ThreadPoolExecutor(max_threads=4, label="threads")], run_dir=run_dir)
    loaded = parsl.load(config)
    try:
        yield loaded
    finally:
        parsl.clear()


@pytest.fixture
def load_dfk(run_dir: str) -> Iterator[Callable[..., DataFlowKernel]]:
    """Load a DataFlowKernel with extra Config arguments; it is cleared afterwards.

    ``executors`` defaults to one four-thread ``ThreadPoolExecutor`` labelled ``threads``
    and ``run_dir`` to the test's own run directory.
    """

    def load(**config_kwargs: Any) -> DataFlowKernel:
        config_kwargs.setdefault("executors", [ThreadPoolExecutor(max_threads=4, label="threads")])
        config_kwargs.setdefault("run_dir", run_dir)
        return parsl.load(Config(**config_kwargs))

    try:
        yield load
    finally:
        parsl.clear()


@pytest.fixture
def release() -> Iterator[threading.Event]:
    """An event that apps may block on; it is set when the test ends so no thread stays stuck."""
    event = threading.Event()
    yield event
    event.set()


@pytest.fixture
def scripts(tmp_path: Path) -> Iterator[Scripts]:
    """Write and run Python scripts in child processes; all are stopped by pid at teardown."""
    runner = Scripts(tmp_path)
    try:
        yield runner
    finally:
        runner.stop_all()


@pytest.fixture
def kill_group_at_end() -> Iterator[list[int]]:
    """Process groups (by pgid) a test saw started; any survivor is SIGKILLed at teardown."""
    groups: list[int] = []
    yield groups
    for pgid in groups:
        if group_alive(pgid):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(pgid, signal.SIGKILL)


@pytest.fixture(scope="session")
def slurm(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SlurmCluster]:
    """A real one-node Slurm on loopback for the session; ``SLURM_CONF`` points at it meanwhile.

    Shared by the slurm, monitoring and workqueue integration tests: one cluster per run.
    """
    cluster = SlurmCluster(tmp_path_factory.mktemp("slurm"))
    cluster.start()
    try:
        with pytest.MonkeyPatch.context() as env:
            env.setenv("SLURM_CONF", str(cluster.conf))
            yield cluster
    finally:
        cluster.stop()

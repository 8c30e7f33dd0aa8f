"""Work Queue and TaskVine workers in blocks from the real SlurmProvider (one-node Slurm on loopback)."""

from __future__ import annotations

import os
import socket
from pathlib import Path
from typing import Any

import pytest
from slurm_cluster import SlurmCluster

import parsl
from parsl import python_app
from parsl.config import Config
from parsl.executors import TaskVineExecutor, WorkQueueExecutor
from parsl.executors.cctools.processes import free_port
from parsl.executors.taskvine import TaskVineManagerConfig
from parsl.launchers import SrunLauncher
from parsl.providers import SlurmProvider

pytestmark = pytest.mark.timeout(180)


def host_and_job() -> tuple[str, str]:
    return socket.gethostname(), os.environ.get("SLURM_JOB_ID", "")


def provider() -> SlurmProvider:
    p = SlurmProvider(
        partition="debug",
        launcher=SrunLauncher(),
        exclusive=False,
        init_blocks=1,
        max_blocks=1,
        walltime="00:05:00",
        nodes_per_block=1,
    )
    p.polling_interval_s = 0.5
    return p


def workqueue() -> Any:
    return WorkQueueExecutor(port=free_port(), address="127.0.0.1", provider=provider())


def taskvine() -> Any:
    return TaskVineExecutor(
        worker_launch_method="provider",
        manager_config=TaskVineManagerConfig(port=free_port(), address="127.0.0.1"),
        provider=provider(),
    )


@pytest.mark.parametrize("make", [workqueue, taskvine], ids=["workqueue", "taskvine"])
def test_tasks_run_inside_a_slurm_job(slurm: SlurmCluster, tmp_path: Path, make: Any) -> None:
    ex = make()
    dfk = parsl.load(Config(executors=[ex], run_dir=str(tmp_path / "runinfo"), strategy="none"))
    try:
        results = [python_app(host_and_job)().result(timeout=120) for _ in range(2)]
        job_ids = [str(j) for j in ex.blocks_to_job_id.values()]
    finally:
        dfk.cleanup()
        parsl.clear()
    assert job_ids and all(job in job_ids for _, job in results), (results, job_ids)

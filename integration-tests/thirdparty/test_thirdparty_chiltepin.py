"""Chiltepin (PyPI, requires parsl): NOAA's workflow layer over Parsl, on our kernel, executors and providers.

Chiltepin turns a YAML (or dict) description of resources into a Parsl
``Config`` (htex on LocalProvider, SlurmProvider or PBSProProvider with Parsl's
launchers, ``MPIExecutor`` for MPI resources), wraps ``parsl.load`` in its
``Workflow``, and decorates functions as ``python_app``, ``bash_app`` and
``join_app`` whose executor is chosen per call. Installed with ``--no-deps``
beside ours by tools/setup-env (its Globus and agent dependencies are not used here).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from chiltepin import Workflow, configure
from chiltepin.tasks import bash_task, join_task, python_task

from parsl.executors import HighThroughputExecutor, MPIExecutor
from parsl.launchers import MpiExecLauncher, SimpleLauncher, SrunLauncher
from parsl.providers import LocalProvider, PBSProProvider, SlurmProvider


@python_task
def square(x: int) -> int:
    return x * x


@bash_task
def greet(name: str, stdout: Any = None) -> str:
    return f"echo hello {name}"


@python_task
def add_all(*values: int) -> int:
    return sum(values)


@join_task
def sum_of_squares(n: int) -> Any:
    # A join task returns a future of tasks it started; its own future gets that result.
    parts = [square(i, executor=["compute"]) for i in range(n)]
    return add_all(*parts, executor=["compute"])


@pytest.mark.timeout(120)
def test_workflow_from_a_yaml_file_runs_python_bash_and_join_tasks(tmp_path: Path) -> None:
    config_file = tmp_path / "resources.yaml"
    config_file.write_text(
        "compute:\n  provider: localhost\n  init_blocks: 1\n  max_workers_per_node: 2\n"
    )
    out = tmp_path / "greet.out"
    with Workflow(str(config_file), run_dir=str(tmp_path / "runinfo")) as dfk:
        labels = sorted(dfk.executors)
        squares = [square(i, executor=["compute"]).result(timeout=60) for i in range(4)]
        code = greet("chiltepin", executor=["compute"], stdout=str(out)).result(timeout=60)
        total = sum_of_squares(5).result(timeout=60)
    assert labels == ["_parsl_internal", "compute", "local"]
    assert squares == [0, 1, 4, 9]
    assert code == 0 and out.read_text() == "hello chiltepin\n"
    assert total == 0 + 1 + 4 + 9 + 16


def test_configure_builds_our_executors_and_providers_with_parsls_arguments() -> None:
    resources = {
        "hpc": {
            "provider": "slurm",
            "cores_per_node": 8,
            "nodes_per_block": 2,
            "partition": "batch",
            "queue": "normal",
            "account": "proj42",
            "walltime": "01:30:00",
            "environment": ["module load python", "export X=1"],
        },
        "pbs": {"provider": "pbspro", "cores_per_node": 4, "queue": "workq", "account": "a1"},
        "mpi": {"provider": "slurm", "mpi": True, "max_mpi_apps": 3},
    }
    config = configure.load(resources, run_dir="/tmp/chiltepin-unused")
    by_label = {ex.label: ex for ex in config.executors}
    assert sorted(by_label) == ["hpc", "local", "mpi", "pbs"]

    hpc = by_label["hpc"]
    assert isinstance(hpc, HighThroughputExecutor) and not isinstance(hpc, MPIExecutor)
    slurm = hpc.provider
    assert isinstance(slurm, SlurmProvider) and isinstance(slurm.launcher, SrunLauncher)
    assert (slurm.partition, slurm.qos, slurm.account) == ("batch", "normal", "proj42")
    assert (slurm.cores_per_node, slurm.nodes_per_block, slurm.walltime) == (8, 2, "01:30:00")
    assert slurm.worker_init == "module load python\nexport X=1"

    pbs = by_label["pbs"].provider
    assert isinstance(pbs, PBSProProvider) and isinstance(pbs.launcher, MpiExecLauncher)
    assert (pbs.queue, pbs.account, pbs.cpus_per_node) == ("workq", "a1", 4)

    mpi = by_label["mpi"]
    assert isinstance(mpi, MPIExecutor)
    assert mpi.mpi_launcher == "srun" and mpi.max_workers_per_block == 3
    assert isinstance(mpi.provider, SlurmProvider)
    assert isinstance(mpi.provider.launcher, SimpleLauncher)

    local = by_label["local"]
    assert isinstance(local.provider, LocalProvider) and local.provider.init_blocks == 0

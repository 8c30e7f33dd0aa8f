"""MPI mode with ``mpi_launcher="srun"`` on a real one-node Slurm: ranks run as job steps.

Each block is one batch job on the two-CPU node, started with
``SimpleLauncher`` so the block runs exactly one manager (MPI mode wants
one per block; the manager shares the block's nodes out among its tasks).
A bash app starting its program with ``$PARSL_MPI_PREFIX`` makes ``srun``
create a job step inside the block's job; each rank reports Slurm's view of
itself. The blocks are cancelled (``scancel``) when the DataFlowKernel is
cleared.
"""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

import parsl
from parsl import bash_app, python_app
from parsl.app.errors import BashExitFailure
from parsl.config import Config
from parsl.executors import MPIExecutor
from parsl.executors.errors import InvalidResourceSpecification
from parsl.launchers import SimpleLauncher
from parsl.providers import SlurmProvider

pytestmark = pytest.mark.timeout(120)

NODE = socket.gethostname().split(".")[0]  # the cluster's only node (see slurm_cluster.py)

# Each rank prints one line of Slurm's view of it; single quotes: the rank's shell expands them.
REPORT_RANK = (
    "sh -c 'echo rank=$SLURM_PROCID step=$SLURM_STEP_ID job=$SLURM_JOB_ID"
    " ntasks=$SLURM_NTASKS host=$(hostname -s)'"
)


@bash_app
def srun_ranks(
    stdout: str | None = None,
    stderr: str | None = None,
    parsl_resource_specification: dict[str, Any] | None = None,
) -> str:
    return f"$PARSL_MPI_PREFIX {REPORT_RANK}"


@python_app
def mpi_environment(parsl_resource_specification: dict[str, Any] | None = None) -> dict[str, str]:
    import os

    names = [n for n in os.environ if n.startswith("PARSL_") or n == "SLURM_JOB_ID"]
    return {n: os.environ[n] for n in names}


@pytest.fixture
def mpi_on_slurm(slurm: object, tmp_path: Path) -> Iterator[Callable[..., MPIExecutor]]:
    """Load a DataFlowKernel with one Slurm-backed srun MPIExecutor; cleared afterwards."""

    def _load(**provider: Any) -> MPIExecutor:
        settings: dict[str, Any] = {
            "partition": "debug",
            "launcher": SimpleLauncher(),
            # The block's job holds both CPUs of the node. (Not exclusive and without
            # cores_per_node it gets one CPU, and a two-rank srun step is refused.)
            "exclusive": True,
            "init_blocks": 1,
            "max_blocks": 1,
            "walltime": "00:05:00",
            "nodes_per_block": 1,
        }
        slurm_provider = SlurmProvider(**(settings | provider))
        slurm_provider.polling_interval_s = 0.5
        executor = MPIExecutor(
            label="slurm_mpi",
            provider=slurm_provider,
            mpi_launcher="srun",
            max_workers_per_block=1,
            heartbeat_period=1,
            heartbeat_threshold=5,
        )
        config = Config(executors=[executor], run_dir=str(tmp_path / "runinfo"), strategy="none")
        parsl.load(config)
        return executor

    try:
        yield _load
    finally:
        parsl.clear()


def parse_ranks(text: str) -> list[dict[str, str]]:
    """One ``{field: value}`` per rank line of :data:`REPORT_RANK`'s output."""
    lines = [line for line in text.splitlines() if line.startswith("rank=")]
    return [dict(word.split("=", 1) for word in line.split()) for line in lines]


def test_two_ranks_run_as_one_job_step_inside_the_blocks_job(
    mpi_on_slurm: Callable[..., MPIExecutor], tmp_path: Path
) -> None:
    executor = mpi_on_slurm()
    out, err = tmp_path / "ranks.out", tmp_path / "ranks.err"
    spec = {"num_nodes": 1, "ranks_per_node": 2, "num_ranks": 2}
    srun_ranks(stdout=str(out), stderr=str(err), parsl_resource_specification=spec).result(
        timeout=90
    )
    ranks = parse_ranks(out.read_text())
    assert sorted(r["rank"] for r in ranks) == ["0", "1"], (out.read_text(), err.read_text())
    block_job = executor.blocks["0"]
    assert {r["job"] for r in ranks} == {block_job}  # a step of the block's job, not a new job
    steps = {r["step"] for r in ranks}
    assert len(steps) == 1 and steps.pop().isdigit()  # one numbered step (not the batch step)
    assert {r["ntasks"] for r in ranks} == {"2"}
    assert {r["host"] for r in ranks} == {NODE}


def test_each_mpi_task_is_a_new_step_of_the_same_job(
    mpi_on_slurm: Callable[..., MPIExecutor], tmp_path: Path
) -> None:
    executor = mpi_on_slurm()
    spec = {"num_ranks": 2}
    outputs = [tmp_path / f"task{i}.out" for i in range(3)]
    for out in outputs:  # one worker per block: one after the other
        srun_ranks(stdout=str(out), parsl_resource_specification=spec).result(timeout=90)
    runs = [parse_ranks(out.read_text()) for out in outputs]
    assert all(sorted(r["rank"] for r in ranks) == ["0", "1"] for ranks in runs)
    assert {r["job"] for ranks in runs for r in ranks} == {executor.blocks["0"]}
    step_ids = [{r["step"] for r in ranks} for ranks in runs]
    assert all(len(s) == 1 for s in step_ids)
    assert len(set().union(*step_ids)) == 3  # three distinct steps


def test_python_app_sees_the_srun_prefix_and_rank_counts(
    mpi_on_slurm: Callable[..., MPIExecutor],
) -> None:
    executor = mpi_on_slurm()
    env = mpi_environment(parsl_resource_specification={"ranks_per_node": 2}).result(timeout=90)
    prefix = f"srun -N 1 -n 2 --ntasks-per-node 2 --nodelist={NODE}"
    assert env["PARSL_MPI_PREFIX"] == prefix
    assert env["PARSL_SRUN_PREFIX"] == prefix
    assert env["PARSL_NUM_RANKS"] == "2"
    assert env["PARSL_NUM_NODES"] == "1"
    assert env["PARSL_RANKS_PER_NODE"] == "2"
    assert env["PARSL_MPI_NODELIST"] == NODE  # found in the job's SLURM_NODELIST
    assert env["SLURM_JOB_ID"] == executor.blocks["0"]


def test_more_nodes_than_the_block_has_fails_at_submit(
    mpi_on_slurm: Callable[..., MPIExecutor],
) -> None:
    mpi_on_slurm()
    task = mpi_environment(parsl_resource_specification={"num_nodes": 2, "ranks_per_node": 1})
    with pytest.raises(InvalidResourceSpecification, match=r"num_nodes=2 is more than the 1 node"):
        task.result(timeout=30)


def test_more_ranks_than_the_block_has_cpus_fails_with_sruns_words(
    mpi_on_slurm: Callable[..., MPIExecutor], tmp_path: Path
) -> None:
    mpi_on_slurm()
    out, err = tmp_path / "ranks.out", tmp_path / "ranks.err"
    task = srun_ranks(
        stdout=str(out), stderr=str(err), parsl_resource_specification={"num_ranks": 4}
    )
    with pytest.raises(BashExitFailure, match="srun_ranks failed with unix exit code 1") as caught:
        task.result(timeout=90)
    assert parse_ranks(out.read_text()) == []  # no rank ran
    # srun's reason is in the exception itself (the end of the app's stderr), not only in the file.
    assert "More processors requested than permitted" in str(caught.value)
    # The block is still usable afterwards.
    good = srun_ranks(stdout=str(out), parsl_resource_specification={"num_ranks": 2})
    good.result(timeout=90)
    assert sorted(r["rank"] for r in parse_ranks(out.read_text())) == ["0", "1"]

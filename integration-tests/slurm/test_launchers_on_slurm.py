"""Slurm's launchers really run inside a batch job on the one-node test cluster.

Each started copy writes one file named after its rank, holding the job id
it saw and its ``CORES``; the test counts the files. The node has 2 CPUs,
so a block asks for at most 2 tasks.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from parsl.jobs.states import JobState, JobStatus
from parsl.launchers.base import Launcher
from parsl.launchers.hpc import SrunLauncher, SrunMPILauncher
from parsl.providers import SlurmProvider

pytestmark = pytest.mark.timeout(90)

RECORD = 'echo "$SLURM_JOB_ID $CORES" > "{copies}/copy.$PARSL_WORKER_RANK.$SLURM_STEP_ID"; sleep 1'


def run_block(launcher: Launcher, tasks_per_node: int, tmp_path: Path) -> tuple[str, JobStatus]:
    provider = SlurmProvider(
        partition="debug", launcher=launcher, walltime="00:05:00", exclusive=False
    )
    provider.script_dir = str(tmp_path / "scripts")
    copies = tmp_path / "copies"
    copies.mkdir()
    job = provider.submit(RECORD.format(copies=copies), tasks_per_node, "parsl.launcher")
    deadline = time.monotonic() + 60
    status = provider.status([job])[0]
    while not status.terminal and time.monotonic() < deadline:
        time.sleep(0.3)
        status = provider.status([job])[0]
    if not status.terminal:
        provider.cancel([job])  # never leave a block behind
    return job, status


def copies_seen(tmp_path: Path) -> list[tuple[str, str, str, str]]:
    """(rank, step, job id, cores) for every copy that started, by rank."""
    found = []
    for path in sorted((tmp_path / "copies").iterdir()):
        _, rank, step = path.name.split(".")
        job, cores = path.read_text().split()
        found.append((rank, step, job, cores))
    return found


@pytest.mark.parametrize("tasks_per_node", [1, 2])
def test_srun_starts_one_copy_per_task_in_one_step(
    slurm: object, tmp_path: Path, tasks_per_node: int
) -> None:
    job, status = run_block(SrunLauncher(), tasks_per_node, tmp_path)
    assert status.state is JobState.COMPLETED, status
    found = copies_seen(tmp_path)
    assert [rank for rank, *_ in found] == [str(r) for r in range(tasks_per_node)]
    assert {(step, seen_job) for _, step, seen_job, _ in found} == {("0", job)}  # one srun step
    assert all(int(cores) >= 1 for *_, cores in found)
    assert f"SrunLauncher: starting {tasks_per_node} copies" in (status.stdout or "")


def test_srun_mpi_starts_one_step_per_worker(slurm: object, tmp_path: Path) -> None:
    job, status = run_block(SrunMPILauncher(), 2, tmp_path)
    assert status.state is JobState.COMPLETED, status
    found = copies_seen(tmp_path)
    assert [rank for rank, *_ in found] == ["0", "1"]
    assert {seen_job for _, _, seen_job, _ in found} == {job}
    assert len({step for _, step, _, _ in found}) == 2  # each worker is its own step
    assert all(cores == "1" for *_, cores in found)  # 2 cpus shared by 2 workers

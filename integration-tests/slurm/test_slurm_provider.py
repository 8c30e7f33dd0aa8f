"""SlurmProvider against a real Slurm 22.05 on loopback: submit, status, cancel, errors."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import pytest

from parsl.jobs.states import JobState, JobStatus
from parsl.launchers import SimpleLauncher
from parsl.providers import SlurmProvider
from parsl.providers.errors import SubmitException

pytestmark = pytest.mark.timeout(120)


def wait_for(
    provider: SlurmProvider, job: str, done: Callable[[JobStatus], bool], limit: float = 60
) -> JobStatus:
    deadline = time.monotonic() + limit
    while True:
        status = provider.status([job])[0]
        if done(status) or time.monotonic() > deadline:
            return status
        time.sleep(0.3)


def make(tmp_path: Path, **kw: object) -> SlurmProvider:
    p = SlurmProvider(
        partition="debug", launcher=SimpleLauncher(), walltime="00:05:00", exclusive=False, **kw
    )  # type: ignore[arg-type]
    p.script_dir = str(tmp_path / "scripts")
    return p


def test_block_runs_inside_a_batch_job(slurm: object, tmp_path: Path) -> None:
    out = tmp_path / "env.txt"
    provider = make(tmp_path)
    job = provider.submit(f"echo $SLURM_JOB_ID > {out}", tasks_per_node=1, job_name="parsl.test")
    status = wait_for(provider, job, lambda s: s.terminal)
    assert status.state is JobState.COMPLETED, status
    assert out.read_text().strip() == job
    scripts = list(Path(provider.script_dir or "").glob("*.submit"))
    assert scripts and "#SBATCH --partition=debug" in scripts[0].read_text()


def test_running_then_cancelled(slurm: object, tmp_path: Path) -> None:
    provider = make(tmp_path)
    job = provider.submit("sleep 300", tasks_per_node=1)
    running = wait_for(provider, job, lambda s: s.state is JobState.RUNNING)
    assert running.state is JobState.RUNNING
    assert provider.cancel([job]) == [True]
    final = wait_for(provider, job, lambda s: s.terminal)
    assert final.state is JobState.CANCELLED, final


def test_failing_block_is_failed(slurm: object, tmp_path: Path) -> None:
    provider = make(tmp_path)
    job = provider.submit("exit 3", tasks_per_node=1)
    status = wait_for(provider, job, lambda s: s.terminal)
    assert status.state is JobState.FAILED, status


def test_bad_partition_shows_sbatchs_own_message(slurm: object, tmp_path: Path) -> None:
    provider = SlurmProvider(partition="nosuchpartition", launcher=SimpleLauncher())
    provider.script_dir = str(tmp_path / "scripts")
    with pytest.raises(SubmitException, match="invalid partition"):
        provider.submit("true", tasks_per_node=1)

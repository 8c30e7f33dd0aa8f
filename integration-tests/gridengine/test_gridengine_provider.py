"""GridEngineProvider against a real Grid Engine 8.1.9 cell: submit, status, cancel, failures, h_rt."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from parsl.jobs.states import JobState, JobStatus
from parsl.launchers import SimpleLauncher
from parsl.providers import GridEngineProvider
from parsl.providers.errors import SubmitException

pytestmark = pytest.mark.timeout(120)


def wait_for(
    provider: GridEngineProvider, job: str, done: Callable[[JobStatus], bool], limit: float = 60
) -> JobStatus:
    deadline = time.monotonic() + limit
    while True:
        status = provider.status([job])[0]
        if done(status) or time.monotonic() > deadline:
            return status
        time.sleep(0.3)


def make(tmp_path: Path, **kw: Any) -> GridEngineProvider:
    kw.setdefault("queue", "debug.q")
    kw.setdefault("walltime", "00:05:00")
    provider = GridEngineProvider(launcher=SimpleLauncher(), **kw)
    provider.script_dir = str(tmp_path / "scripts")
    return provider


def test_block_runs_inside_a_batch_job(gridengine: object, tmp_path: Path) -> None:
    out = tmp_path / "env.txt"
    provider = make(tmp_path)
    job = provider.submit(f"echo $JOB_ID $JOBNAME > {out}", tasks_per_node=1, job_name="parsl.ge")
    status = wait_for(provider, job, lambda s: s.terminal)
    assert (status.state, status.exit_code) == (JobState.COMPLETED, 0), status
    job_id, job_name = out.read_text().split()
    assert job_id == job
    assert job_name == provider.resources[job]["job_name"]
    script = Path(provider.resources[job]["script_path"]).read_text()
    assert "#$ -q debug.q\n" in script
    # The scheduler's answer to qsub is kept beside the script.
    kept = Path(provider.resources[job]["script_path"] + ".stdout").read_text()
    assert f"Your job {job} " in kept


def test_running_then_cancelled(gridengine: object, tmp_path: Path) -> None:
    provider = make(tmp_path)
    job = provider.submit("sleep 300", tasks_per_node=1)
    running = wait_for(provider, job, lambda s: s.state is JobState.RUNNING)
    assert running.state is JobState.RUNNING, running
    assert provider.cancel([job]) == [True]
    assert provider.status([job])[0].state is JobState.CANCELLED
    # qdel again: Grid Engine has forgotten it, and the provider does not ask.
    assert provider.cancel([job]) == [False]


def test_failing_block_is_failed_with_its_exit_status(gridengine: object, tmp_path: Path) -> None:
    provider = make(tmp_path)
    job = provider.submit("exit 3", tasks_per_node=1)
    # Seen pending or running first, so that its disappearance sends the provider to qacct.
    assert provider.status([job])[0].state in (JobState.PENDING, JobState.RUNNING)
    status = wait_for(provider, job, lambda s: s.terminal)
    assert (status.state, status.exit_code) == (JobState.FAILED, 3), status
    assert "qacct: exit status 3" in (status.message or "")


def test_block_over_its_walltime_is_timeout(gridengine: object, tmp_path: Path) -> None:
    provider = make(tmp_path, walltime="00:00:02")
    job = provider.submit("sleep 60", tasks_per_node=1)
    assert provider.status([job])[0].state in (JobState.PENDING, JobState.RUNNING)
    status = wait_for(provider, job, lambda s: s.terminal, limit=30)
    assert status.state is JobState.TIMEOUT, status
    assert "h_rt" in (status.message or "")


def test_parallel_environment_grants_the_slots(gridengine: object, tmp_path: Path) -> None:
    out = tmp_path / "slots.txt"
    provider = make(tmp_path, parallel_environment="smp")
    job = provider.submit(f"echo $NSLOTS > {out}", tasks_per_node=2)
    assert wait_for(provider, job, lambda s: s.terminal).state is JobState.COMPLETED
    assert out.read_text().strip() == "2"


def test_bad_queue_shows_qsubs_own_message(gridengine: object, tmp_path: Path) -> None:
    provider = make(tmp_path, queue="nosuch.q")
    with pytest.raises(SubmitException, match='unknown queue "nosuch.q"'):
        provider.submit("true", tasks_per_node=1)


def test_unknown_job_is_missing(gridengine: object, tmp_path: Path) -> None:
    provider = make(tmp_path)
    assert provider.status(["99999"])[0].state is JobState.MISSING
    assert provider.cancel(["99999"]) == [False]

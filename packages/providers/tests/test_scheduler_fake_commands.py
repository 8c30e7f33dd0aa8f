"""PBS Pro, Torque, LSF, Grid Engine and HTCondor providers end to end against stand-in commands.

The stand-ins (scheduler_fakes.py) start each block script as a real
background session through the fake batch system and answer in each
scheduler's documented formats, so the whole path runs: the script and its
directives on disk, submit, status (and history for Grid Engine and
HTCondor, whose queues forget finished jobs), cancel. Real Grid Engine is
tested by the integration suite.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from cluster_fakes import FakeBatchSystem, group_alive, wait_until
from scheduler_fakes import install_standins

from parsl.jobs.states import JobState
from parsl.launchers import SimpleLauncher
from parsl.providers import (
    CondorProvider,
    GridEngineProvider,
    LSFProvider,
    PBSProProvider,
    TorqueProvider,
)
from parsl.providers.cluster.scheduler import VANISHED_MESSAGE
from parsl.providers.cluster.shell import ClusterProvider
from parsl.providers.errors import SubmitException

FLAVOURS: dict[str, Callable[..., ClusterProvider]] = {
    "pbspro": PBSProProvider,
    "torque": TorqueProvider,
    "lsf": LSFProvider,
    "gridengine": GridEngineProvider,
    "condor": CondorProvider,
}

SUBMIT_COMMAND = {
    "pbspro": "qsub",
    "torque": "qsub",
    "lsf": "bsub",
    "gridengine": "qsub",
    "condor": "condor_submit",
}

# What each scheduler prints when it refuses a submission (see tests/data/<scheduler>).
REFUSAL = {
    "pbspro": "qsub: Unknown queue",
    "torque": "qsub: submit error (Unknown queue MSG=cannot locate queue)",
    "lsf": "nosuch: No such queue. Job not submitted.",
    "gridengine": 'Unable to run job: Job was rejected because job requests unknown queue "nosuch"',
    "condor": "ERROR: Parse error in expression:",
}


@pytest.fixture(params=sorted(FLAVOURS))
def flavour(
    request: pytest.FixtureRequest, fake_system: FakeBatchSystem, monkeypatch: pytest.MonkeyPatch
) -> Iterator[str]:
    bin_dir = install_standins(fake_system, request.param)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    yield request.param


def make(flavour: str, tmp_path: Path, **kwargs: Any) -> ClusterProvider:
    provider = FLAVOURS[flavour](launcher=SimpleLauncher(), **kwargs)
    provider.script_dir = str(tmp_path / "scripts")
    return provider


def test_block_runs_and_completes(flavour: str, tmp_path: Path) -> None:
    out = tmp_path / "ran.txt"
    provider = make(flavour, tmp_path, worker_init=f"cd {tmp_path}")
    job_id = provider.submit('echo "$JOBNAME" > ran.txt', 1, f"parsl.{flavour}.block-0")
    assert provider.status([job_id])[0].state in (
        JobState.PENDING,
        JobState.RUNNING,
        JobState.COMPLETED,
    )
    wait_until(lambda: provider.status([job_id])[0].terminal, what="the block to finish")
    status = provider.status([job_id])[0]
    assert status.state == JobState.COMPLETED, status
    # The scheduler (or its history) said so: not inferred from the job vanishing.
    assert status.message != VANISHED_MESSAGE and status.exit_code in (0, None)
    assert out.read_text().strip() == provider.resources[job_id]["job_name"]
    kept = Path(provider.resources[job_id]["script_path"] + ".stdout").read_text()
    assert job_id.split(".")[0] in kept  # the scheduler's answer to the submission


def test_failing_block_reports_its_exit_code(flavour: str, tmp_path: Path) -> None:
    provider = make(flavour, tmp_path)
    job_id = provider.submit("exit 4", 1)
    wait_until(lambda: provider.status([job_id])[0].terminal, what="the block to fail")
    status = provider.status([job_id])[0]
    assert (status.state, status.exit_code) == (JobState.FAILED, 4), status


def test_cancel_running_block_and_finished_block(
    flavour: str, fake_system: FakeBatchSystem, tmp_path: Path
) -> None:
    provider = make(flavour, tmp_path)
    sleeping = provider.submit("sleep 60", 1)
    done = provider.submit("true", 1)
    wait_until(lambda: provider.status([sleeping])[0].state == JobState.RUNNING, what="running")
    wait_until((fake_system.state_dir / f"{done.split('.')[0]}.rc").exists, what="block to end")
    # Not polled since it ended, so the provider asks the scheduler, which refuses.
    assert provider.cancel([sleeping, done]) == [True, False]
    wait_until(lambda: not group_alive(int(sleeping.split(".")[0])), what="the cancelled block")
    assert provider.status([sleeping])[0].state == JobState.CANCELLED


def test_refused_submission_shows_the_schedulers_words(
    flavour: str, fake_system: FakeBatchSystem, tmp_path: Path
) -> None:
    message = REFUSAL[flavour]
    command = SUBMIT_COMMAND[flavour]
    bin_dir = fake_system.bin_dir.parent / f"{flavour}-bin"
    (bin_dir / command).unlink()
    (bin_dir / command).write_text(f"#!/bin/bash\necho '{message}' >&2\nexit 1\n")
    (bin_dir / command).chmod(0o755)
    provider = make(flavour, tmp_path)
    with pytest.raises(SubmitException) as info:
        provider.submit("true", 1)
    assert message in str(info.value)
    assert info.value.provider == flavour
    kept = [p.read_text() for p in Path(provider.script_dir or "").glob("*.submit.stderr")]
    assert kept == [message + "\n"]


def test_scheduler_not_installed(
    flavour: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    provider = make(flavour, tmp_path)
    with pytest.raises(SubmitException, match=f"'{SUBMIT_COMMAND[flavour]}' was not found"):
        provider.submit("true", 1)


@pytest.mark.parametrize("flavour", ["lsf"], indirect=True)
def test_bsub_redirection_feeds_the_script_on_stdin(flavour: str, tmp_path: Path) -> None:
    provider = make(flavour, tmp_path, bsub_redirection=True, worker_init=f"cd {tmp_path}")
    job_id = provider.submit("echo via-stdin > stdin.txt", 1)
    wait_until(lambda: provider.status([job_id])[0].terminal, what="the block to finish")
    assert (tmp_path / "stdin.txt").read_text() == "via-stdin\n"


@pytest.mark.parametrize("flavour", ["condor"], indirect=True)
def test_condor_keeps_script_and_description(flavour: str, tmp_path: Path) -> None:
    provider = make(flavour, tmp_path, requirements='(Arch == "X86_64")')
    job_id = provider.submit("true", 1)
    script = Path(provider.resources[job_id]["script_path"])
    description = Path(str(script) + ".condor").read_text()
    assert f"executable = {script}\n" in description
    assert 'requirements = (Arch == "X86_64")\n' in description
    assert os.access(script, os.X_OK)

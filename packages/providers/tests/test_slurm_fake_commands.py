"""SlurmProvider end to end against sbatch/squeue/scancel stand-ins that speak Slurm's formats.

The stand-ins (see cluster_fakes.py) run each block script under bash as a
background session, as the fake scheduler does; the #SBATCH lines are then
comments, as they are to bash on a real compute node. Real Slurm is tested
by the integration suite.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cluster_fakes import FakeBatchSystem, group_alive, wait_until

from parsl.jobs.states import JobState
from parsl.providers import SlurmProvider
from parsl.providers.cluster.scheduler import VANISHED_MESSAGE
from parsl.providers.errors import SubmitException


@pytest.fixture
def slurm_on_path(
    fake_system: FakeBatchSystem, monkeypatch: pytest.MonkeyPatch
) -> Iterator[FakeBatchSystem]:
    monkeypatch.setenv("PATH", f"{fake_system.bin_dir}{os.pathsep}{os.environ['PATH']}")
    yield fake_system


def make_slurm(tmp_path: Path, **kwargs: Any) -> SlurmProvider:
    provider = SlurmProvider(**kwargs)
    provider.script_dir = str(tmp_path / "submit_scripts")
    return provider


def test_block_runs_its_copies_and_completes(
    slurm_on_path: FakeBatchSystem, tmp_path: Path
) -> None:
    out = tmp_path / "ranks"
    out.mkdir()
    provider = make_slurm(tmp_path, partition="debug", worker_init=f"cd {out}")
    job_id = provider.submit('touch "rank-$PARSL_WORKER_RANK-$JOBNAME"', 2, "parsl.slurm.block-0")
    assert job_id.isdigit()
    script = Path(provider.resources[job_id]["script_path"]).read_text()
    assert "#SBATCH --partition=debug\n#SBATCH --exclusive\n" in script
    wait_until(lambda: provider.status([job_id])[0].state == JobState.COMPLETED, what="CD")
    names = sorted(p.name.split("-parsl")[0] for p in out.iterdir())
    assert names == ["rank-0", "rank-1"]
    assert provider.status([job_id])[0].message == "Slurm state CD (COMPLETED)"
    assert "SingleNodeLauncher: 0 of 2 copies failed" in (provider.status([job_id])[0].stdout or "")


def test_failed_and_cancelled_blocks(slurm_on_path: FakeBatchSystem, tmp_path: Path) -> None:
    provider = make_slurm(tmp_path)
    failing = provider.submit("exit 4", 1)
    sleeping = provider.submit("sleep 60", 1)
    wait_until(lambda: provider.status([failing])[0].state == JobState.FAILED, what="F")
    assert provider.status([sleeping])[0].state == JobState.RUNNING
    assert provider.cancel([sleeping, failing]) == [True, False]
    wait_until(lambda: not group_alive(int(sleeping)), what="the cancelled block to end")
    assert [s.state for s in provider.status([failing, sleeping])] == [
        JobState.FAILED,
        JobState.CANCELLED,
    ]


def test_scancel_refusal_is_reported_per_job(
    slurm_on_path: FakeBatchSystem, tmp_path: Path
) -> None:
    provider = make_slurm(tmp_path)
    done = provider.submit("true", 1)
    wait_until((slurm_on_path.state_dir / f"{done}.rc").exists, what="the block to end")
    # The provider has not polled, so it asks scancel, which names the job in its error.
    assert provider.cancel([done]) == [False]


def test_purged_job_is_completed_with_unknown_exit(
    slurm_on_path: FakeBatchSystem, tmp_path: Path
) -> None:
    provider = make_slurm(tmp_path)
    job_id = provider.submit("sleep 60", 1)
    assert provider.status([job_id])[0].state == JobState.RUNNING
    slurm_on_path.kill_all()
    slurm_on_path.forget(job_id)
    # squeue now answers "Invalid job id specified" with exit status 1.
    status = provider.status([job_id])[0]
    assert (status.state, status.message) == (JobState.COMPLETED, VANISHED_MESSAGE)


def test_sbatch_rejection_shows_its_error(slurm_on_path: FakeBatchSystem, tmp_path: Path) -> None:
    slurm_on_path.write_command(
        "sbatch",
        "#!/bin/bash\necho 'sbatch: error: Batch job submission failed: "
        "Invalid partition name specified' >&2\nexit 1\n",
    )
    provider = make_slurm(tmp_path, partition="nosuch")
    with pytest.raises(SubmitException) as info:
        provider.submit("true", 1)
    assert "Invalid partition name specified" in str(info.value)
    assert info.value.provider == "slurm"


def test_no_slurm_installed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    provider = make_slurm(tmp_path)
    with pytest.raises(SubmitException, match="'sbatch' was not found"):
        provider.submit("true", 1)


class ThroughAWrapper(SlurmProvider):
    """A provider written the Parsl way: it runs every scheduler command through execute_wait.

    Here the override puts the stand-in scheduler on PATH for its commands only (as a
    site's override would run them on a login node), so a command that did not go
    through it could not reach the scheduler.
    """

    def __init__(self, bin_dir: Path, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.bin_dir = bin_dir
        self.commands: list[str] = []

    def execute_wait(self, cmd: str, timeout: float | None = None) -> tuple[int, str, str]:
        self.commands.append(cmd)
        return super().execute_wait(f'PATH="{self.bin_dir}:$PATH" {cmd}', timeout)


def test_submit_status_and_cancel_go_through_an_overridden_execute_wait(
    fake_system: FakeBatchSystem, tmp_path: Path
) -> None:
    provider = ThroughAWrapper(fake_system.bin_dir, partition="debug")
    provider.script_dir = str(tmp_path / "submit_scripts")
    job_id = provider.submit("sleep 60", 1)
    assert job_id.isdigit() and int(job_id) in fake_system.job_ids()
    assert provider.resources[job_id]["job_stdout_path"].endswith(".stdout")  # Parsl's keys
    assert provider.resources[job_id]["job_stderr_path"].endswith(".stderr")
    assert provider.status([job_id])[0].state in (JobState.PENDING, JobState.RUNNING)
    assert provider.cancel([job_id]) == [True]
    assert [c.split()[0] for c in provider.commands] == ["sbatch", "squeue", "scancel"]
    assert provider.commands[0].endswith(".submit")


def test_an_execute_wait_set_on_the_instance_gets_the_commands(tmp_path: Path) -> None:
    # Parsl's own tests replace execute_wait on the instance with a stand-in.
    seen: list[str] = []

    def answer(cmd: str, timeout: float | None = None) -> tuple[int, str, str]:
        seen.append(cmd)
        return 0, "Submitted batch job 55123", ""

    provider = make_slurm(tmp_path, partition="debug")
    provider.execute_wait = answer  # type: ignore[method-assign]
    assert provider.submit("true", 1) == "55123"
    assert len(seen) == 1 and seen[0].startswith("sbatch ")

    provider.execute_wait = lambda cmd, timeout=None: "Submitted batch job 1"  # type: ignore[method-assign,assignment,misc]
    with pytest.raises(SubmitException, match=r"expected \(exit status, stdout, stderr\)"):
        provider.submit("true", 1)

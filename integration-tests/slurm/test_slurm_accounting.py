"""Accounting on the real one-node Slurm: slurmdbd on MariaDB, associations enforced.

The cluster knows one account besides ``root``, ``parsl-test``, which is
root's default. A block naming any other account is refused by sbatch
itself ("Invalid account"); the executor reports sbatch's words and, under
the "simple" strategy, stops asking after the refusals. Finished jobs are
recorded: ``sacct`` reports them with their account, state and exit code.
"""

from __future__ import annotations

import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from block_apps import env_of, wait_until
from slurm_blocks import htex, slurm_provider

import parsl
from parsl.config import Config
from parsl.executors import HighThroughputExecutor
from parsl.executors.errors import ScalingFailed
from parsl.executors.high_throughput.block_monitor import MAX_FAILED_BLOCKS
from parsl.executors.high_throughput.errors import BlocksFailed

pytestmark = pytest.mark.timeout(120)

#: What sbatch says when the user has no association with the account named.
REFUSAL = "Invalid account or account/partition combination specified"


def sacct_record(job_id: str) -> dict[str, str]:
    """sacct's record of the job itself (not its steps): account, state and exit code, or {}."""
    out = subprocess.run(
        ["sacct", "-n", "-P", "-X", "-j", job_id, "--format=JobID,Account,State,ExitCode"],
        capture_output=True,
        text=True,
        timeout=10,
        check=True,
    )
    for line in out.stdout.splitlines():
        job, account, state, exit_code = line.split("|")
        if job == job_id:
            return {"account": account, "state": state, "exit_code": exit_code}
    return {}


def slurm_job_id() -> Any:
    return env_of("SLURM_JOB_ID")


def test_unknown_account_at_load_is_a_clear_error_with_sbatchs_words(
    slurm: object, tmp_path: Path
) -> None:
    executor = htex(slurm_provider(account="nosuchaccount"), "slurm_accounting_htex")
    config = Config(executors=[executor], run_dir=str(tmp_path / "runinfo"), strategy="none")
    try:
        with pytest.raises(ScalingFailed, match="Invalid account") as caught:
            parsl.load(config)
    finally:
        parsl.clear()
    assert f"sbatch: error: Batch job submission failed: {REFUSAL}" in str(caught.value)


@pytest.mark.timeout(60)
def test_unknown_account_under_the_strategy_stops_scaling_and_fails_tasks(
    load: Callable[..., HighThroughputExecutor],
) -> None:
    provider = slurm_provider(account="nosuchaccount", init_blocks=0, max_blocks=1)
    executor = load(provider, strategy="simple", strategy_period=0.5)
    task = slurm_job_id()
    with pytest.raises(BlocksFailed, match="Invalid account"):
        task.result(timeout=15)
    assert executor.bad_state_is_set
    assert isinstance(executor.executor_exception, BlocksFailed)
    reason = str(executor.executor_exception)
    assert f"{MAX_FAILED_BLOCKS} block submissions failed in a row" in reason
    assert REFUSAL in reason
    scripts = Path(provider.script_dir or "")
    assert len(list(scripts.glob("*.submit"))) == MAX_FAILED_BLOCKS  # one sbatch per refusal
    time.sleep(3)  # six strategy periods: no more sbatch attempts
    assert len(list(scripts.glob("*.submit"))) == MAX_FAILED_BLOCKS
    assert executor.blocks == {}  # sbatch never gave a job id


def test_known_account_runs_a_task_in_a_job_charged_to_it(
    load: Callable[..., HighThroughputExecutor], slurm: Any
) -> None:
    executor = load(slurm_provider(account=slurm.account), strategy="none")
    job_id = slurm_job_id().result(timeout=90)
    assert job_id == executor.blocks["0"]
    squeue = subprocess.run(
        ["squeue", "-h", "-o", "%a %T", "-j", job_id],
        capture_output=True,
        text=True,
        timeout=10,
        check=True,
    )
    assert squeue.stdout.split() == [slurm.account, "RUNNING"]


def test_sacct_reports_a_finished_job_with_its_default_account_and_exit_code(
    slurm: Any, tmp_path: Path
) -> None:
    output = f"--output={tmp_path / 'slurm-%j.out'}"
    submitted = subprocess.run(
        ["sbatch", "--parsable", "--partition=debug", "--time=1", output, "--wrap", "exit 3"],
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    job_id = submitted.stdout.strip().split(";")[0]
    wait_until(lambda: sacct_record(job_id).get("state") == "FAILED", timeout=30)
    # No --account given: the job is charged to root's default account, parsl-test.
    assert sacct_record(job_id) == {"account": slurm.account, "state": "FAILED", "exit_code": "3:0"}


def test_sacct_knows_nothing_of_a_job_that_never_existed(slurm: object) -> None:
    """The check above can fail: sacct does not invent records."""
    assert sacct_record("999999") == {}


def test_slurm_providers_history_command_reads_the_real_sacct(
    slurm: object, tmp_path: Path
) -> None:
    """The sacct line SlurmProvider runs for a job that left squeue, parsed as the provider does."""
    from parsl.jobs.states import JobState
    from parsl.providers.cluster.slurm import SlurmScheduler

    provider = slurm_provider()
    provider.script_dir = str(tmp_path / "scripts")
    job_id = provider.submit("exit 3", 1)
    scheduler = SlurmScheduler()
    argv = scheduler.history_command(job_id)
    assert argv is not None

    def final() -> Any:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=30, check=False)
        return scheduler.parse_history_output(done.returncode, done.stdout, done.stderr, job_id)

    wait_until(lambda: final().state is JobState.FAILED, timeout=30)
    assert final().exit_code == 3

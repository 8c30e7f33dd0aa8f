"""HighThroughputExecutor on a real one-node Slurm: blocks are batch jobs, scaled by the strategy.

The node has two CPUs, so every block is one node running one worker, and
no test asks for more than two blocks at once. Workers start inside the
jobs through ``SrunLauncher``; the executor cancels its blocks (``scancel``)
when the DataFlowKernel is cleared.
"""

from __future__ import annotations

import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from block_apps import env_of, nap_then_env_of, wait_until
from block_apps import mark_then_sleep as mark_env_then_sleep
from slurm_blocks import htex, slurm_provider

import parsl
from parsl.config import Config
from parsl.executors import HighThroughputExecutor
from parsl.executors.errors import ScalingFailed
from parsl.executors.high_throughput.errors import ManagerLost
from parsl.jobs.states import JobState

pytestmark = pytest.mark.timeout(120)


def squeue_states(job_ids: list[str]) -> list[str]:
    """The states squeue reports for ``job_ids`` (finished jobs stay visible: MinJobAge=300)."""
    out = subprocess.run(
        ["squeue", "-h", "-t", "all", "-o", "%T", "-j", ",".join(job_ids)],
        capture_output=True,
        text=True,
        timeout=10,
        check=True,
    )
    return out.stdout.split()


def slurm_job_id() -> Any:
    return env_of("SLURM_JOB_ID")


def nap_then_job_id(seconds: float) -> Any:
    return nap_then_env_of("SLURM_JOB_ID", seconds)


def mark_then_sleep(marker: str, seconds: float) -> Any:
    return mark_env_then_sleep("SLURM_JOB_ID", marker, seconds)


def test_tasks_run_inside_the_blocks_batch_job(load: Callable[..., HighThroughputExecutor]) -> None:
    executor = load(slurm_provider(), strategy="none")
    job_ids = [slurm_job_id() for _ in range(6)]
    seen = {f.result(timeout=90) for f in job_ids}
    assert seen == {executor.blocks["0"]}
    assert squeue_states([executor.blocks["0"]]) == ["RUNNING"]


def test_scancel_of_a_block_fails_its_task_and_the_strategy_replaces_it(
    load: Callable[..., HighThroughputExecutor], tmp_path: Path
) -> None:
    executor = load(
        slurm_provider(min_blocks=1, max_blocks=1),
        strategy="simple",
        strategy_period=0.5,
    )
    first_job = executor.blocks["0"]
    assert slurm_job_id().result(timeout=90) == first_job
    marker = tmp_path / "started"
    victim = mark_then_sleep(str(marker), 120)
    wait_until(marker.exists)  # the task is running in the block
    subprocess.run(["scancel", first_job], timeout=10, check=True)
    with pytest.raises(ManagerLost):
        victim.result(timeout=60)
    wait_until(lambda: len(executor.blocks) >= 2)
    later = slurm_job_id().result(timeout=90)
    assert later != first_job and later in executor.blocks.values()
    assert executor.status()["0"].state is JobState.CANCELLED


def test_scancel_of_a_block_retries_its_task_on_the_replacement(
    load: Callable[..., HighThroughputExecutor], tmp_path: Path
) -> None:
    executor = load(
        slurm_provider(min_blocks=1, max_blocks=1),
        strategy="simple",
        strategy_period=0.5,
        retries=1,
    )
    first_job = executor.blocks["0"]
    marker = tmp_path / "started"
    task = mark_then_sleep(str(marker), 3)
    wait_until(marker.exists)
    subprocess.run(["scancel", first_job], timeout=10, check=True)
    replacement = task.result(timeout=90)
    assert replacement != first_job and replacement in executor.blocks.values()
    assert marker.read_text().split() == [first_job, replacement]  # ran twice: once per block


def test_scales_out_to_max_blocks_under_backlog_then_in_to_min_blocks(
    load: Callable[..., HighThroughputExecutor],
) -> None:
    executor = load(
        slurm_provider(init_blocks=0, min_blocks=1, max_blocks=2),
        strategy="simple",
        strategy_period=0.5,
        max_idletime=3,
    )

    def live() -> list[str]:
        return [b for b, s in executor.status().items() if not s.terminal]

    wait_until(lambda: len(live()) == 1)  # min_blocks, with no work at all
    backlog = [nap_then_job_id(2) for _ in range(8)]
    wait_until(lambda: len(live()) == 2)
    ran_in = {f.result(timeout=90) for f in backlog}
    assert ran_in == set(executor.blocks.values())  # both blocks did work
    assert len(executor.blocks) == 2  # never beyond max_blocks
    wait_until(lambda: len(live()) == 1, timeout=30)  # idle for max_idletime: back to min
    time.sleep(3)  # several strategy periods later it is still min_blocks
    assert len(live()) == 1 and len(executor.blocks) == 2
    ended = [job for b, job in executor.blocks.items() if b not in live()]
    assert squeue_states(ended) == ["CANCELLED"]
    assert slurm_job_id().result(timeout=30) == executor.blocks[live()[0]]


def test_bad_partition_at_load_is_a_clear_error_with_sbatchs_words(
    slurm: object, tmp_path: Path
) -> None:
    executor = htex(slurm_provider(partition="nosuchpartition"))
    config = Config(executors=[executor], run_dir=str(tmp_path / "runinfo"), strategy="none")
    try:
        with pytest.raises(ScalingFailed, match="invalid partition") as caught:
            parsl.load(config)
    finally:
        parsl.clear()
    message = str(caught.value)
    assert "sbatch: error: invalid partition specified: nosuchpartition" in message


@pytest.mark.timeout(60)
def test_bad_partition_under_the_strategy_stops_scaling_and_fails_tasks(
    load: Callable[..., HighThroughputExecutor],
) -> None:
    provider = slurm_provider(partition="nosuchpartition", init_blocks=0, max_blocks=1)
    executor = load(provider, strategy="simple", strategy_period=0.5)
    task = slurm_job_id()
    with pytest.raises(Exception, match="invalid partition"):
        task.result(timeout=15)
    assert executor.bad_state_is_set
    assert "invalid partition" in str(executor.executor_exception)
    tries = len(list(Path(provider.script_dir or "").glob("*.submit")))
    time.sleep(3)  # six strategy periods: no more sbatch attempts
    assert len(list(Path(provider.script_dir or "").glob("*.submit"))) == tries

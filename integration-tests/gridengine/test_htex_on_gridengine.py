"""HighThroughputExecutor on a real one-node Grid Engine: blocks are qsub jobs, scaled by the strategy.

The node has two CPUs, so every block is one slot of ``debug.q`` (``-pe smp 1``)
running one worker, and no test asks for more than two blocks at once. The
worker starts inside the job through ``SimpleLauncher``; the executor cancels
its blocks (``qdel``) when the DataFlowKernel is cleared.

Unlike Slurm here, Grid Engine forgets a job in ``qstat`` the moment it ends;
the provider then reads its final state from ``qacct -j``. So a block killed
by someone else's ``qdel`` is CANCELLED if a poll saw it in state ``dt``
(being deleted), and otherwise what qacct records (FAILED: ``failed 100 :
assumedly after job``, exit status 137); a block the executor cancelled itself
is CANCELLED (the provider records its own accepted qdel and does not ask again).
"""

from __future__ import annotations

import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from block_apps import env_of, htex_loader, nap_then_env_of, one_worker_htex, wait_until
from block_apps import mark_then_sleep as mark_env_then_sleep

import parsl
from parsl.config import Config
from parsl.executors import HighThroughputExecutor
from parsl.executors.errors import ScalingFailed
from parsl.executors.high_throughput.errors import ManagerLost
from parsl.jobs.states import JobState
from parsl.launchers import SimpleLauncher
from parsl.providers import GridEngineProvider

pytestmark = pytest.mark.timeout(60)


def gridengine_provider(**kw: Any) -> GridEngineProvider:
    """One-slot blocks in ``debug.q`` (``-pe smp 1``), polled every 0.5 s; ``kw`` overrides any setting."""
    settings: dict[str, Any] = {
        "queue": "debug.q",
        "parallel_environment": "smp",
        "launcher": SimpleLauncher(),
        "init_blocks": 1,
        "walltime": "00:05:00",
        "nodes_per_block": 1,
    }
    provider = GridEngineProvider(**(settings | kw))
    provider.polling_interval_s = 0.5  # see ended blocks quickly
    return provider


def htex(provider: GridEngineProvider) -> HighThroughputExecutor:
    return one_worker_htex(provider, "ge_htex")


@pytest.fixture
def load(gridengine: object, tmp_path: Path) -> Iterator[Callable[..., HighThroughputExecutor]]:
    """Load a DataFlowKernel with one Grid Engine-backed htex; cleared (blocks qdel'ed) afterwards."""
    with htex_loader(str(tmp_path / "runinfo"), "ge_htex") as load_htex:
        yield load_htex


def qstat_jobs() -> dict[str, str]:
    """Job id -> state letters of every job ``qstat`` lists (ended jobs are never listed)."""
    out = subprocess.run(["qstat"], capture_output=True, text=True, timeout=10, check=True)
    rows = [line.split() for line in out.stdout.splitlines()[2:]]
    return {row[0]: row[4] for row in rows if len(row) >= 5}


def qacct_record(job_id: str) -> str:
    """``qacct -j`` for ``job_id``: its accounting record, or '' while it has none."""
    out = subprocess.run(
        ["qacct", "-j", job_id], capture_output=True, text=True, timeout=10, check=False
    )
    return out.stdout if out.returncode == 0 else ""


def ge_job_id() -> Any:
    return env_of("JOB_ID")


def nap_then_job_id(seconds: float) -> Any:
    return nap_then_env_of("JOB_ID", seconds)


def mark_then_sleep(marker: str, seconds: float) -> Any:
    return mark_env_then_sleep("JOB_ID", marker, seconds)


def test_tasks_run_inside_the_blocks_batch_job(load: Callable[..., HighThroughputExecutor]) -> None:
    executor = load(gridengine_provider(), strategy="none")
    futures = [ge_job_id() for _ in range(6)]
    seen = {f.result(timeout=40) for f in futures}
    assert seen == {executor.blocks["0"]}
    # Its tasks ran inside it, so it is running; qstat may still show 't' (the start's transfer
    # state) for a moment before 'r'.
    wait_until(lambda: qstat_jobs().get(executor.blocks["0"]) == "r", timeout=30)
    script = Path(executor.provider.resources[executor.blocks["0"]]["script_path"]).read_text()
    assert "#$ -q debug.q\n" in script and "#$ -pe smp 1\n" in script


def test_qdel_of_a_block_fails_its_task_and_the_strategy_replaces_it(
    load: Callable[..., HighThroughputExecutor], tmp_path: Path
) -> None:
    executor = load(
        gridengine_provider(min_blocks=1, max_blocks=1), strategy="simple", strategy_period=0.5
    )
    first_job = executor.blocks["0"]
    assert ge_job_id().result(timeout=40) == first_job
    marker = tmp_path / "started"
    victim = mark_then_sleep(str(marker), 120)
    wait_until(marker.exists)  # the task is running in the block
    subprocess.run(["qdel", first_job], capture_output=True, timeout=10, check=True)
    with pytest.raises(ManagerLost):
        victim.result(timeout=30)
    wait_until(lambda: len(executor.blocks) >= 2)
    later = ge_job_id().result(timeout=40)
    assert later != first_job and later in executor.blocks.values()
    # Grid Engine shows a qdel'ed job as "dt" (being deleted) for a moment, then drops it from
    # qstat. A poll that caught "dt" made the block CANCELLED (terminal: qacct is never asked);
    # one that did not finds the job gone and takes qacct's record: killed (failed 100), 137.
    ended = executor.status()["0"]
    if ended.state is JobState.CANCELLED:
        assert "being deleted" in (ended.message or ""), ended
    else:
        assert ended.state is JobState.FAILED, ended
        assert ended.exit_code == 137 and "failed 100" in (ended.message or ""), ended
    assert first_job not in qstat_jobs()


def test_qdel_of_a_block_retries_its_task_on_the_replacement(
    load: Callable[..., HighThroughputExecutor], tmp_path: Path
) -> None:
    executor = load(
        gridengine_provider(min_blocks=1, max_blocks=1),
        strategy="simple",
        strategy_period=0.5,
        retries=1,
    )
    first_job = executor.blocks["0"]
    marker = tmp_path / "started"
    task = mark_then_sleep(str(marker), 3)
    wait_until(marker.exists)
    subprocess.run(["qdel", first_job], capture_output=True, timeout=10, check=True)
    replacement = task.result(timeout=40)
    assert replacement != first_job and replacement in executor.blocks.values()
    assert marker.read_text().split() == [first_job, replacement]  # ran twice: once per block


def test_scales_out_to_max_blocks_under_backlog_then_in_to_min_blocks(
    load: Callable[..., HighThroughputExecutor],
) -> None:
    executor = load(
        gridengine_provider(init_blocks=0, min_blocks=1, max_blocks=2),
        strategy="simple",
        strategy_period=0.5,
        max_idletime=3,
    )

    def live() -> list[str]:
        return [b for b, s in executor.status().items() if not s.terminal]

    wait_until(lambda: len(live()) == 1)  # min_blocks, with no work at all
    backlog = [nap_then_job_id(2) for _ in range(8)]
    wait_until(lambda: len(live()) == 2)
    ran_in = {f.result(timeout=40) for f in backlog}
    assert ran_in == set(executor.blocks.values())  # both blocks did work
    assert len(executor.blocks) == 2  # never beyond max_blocks
    wait_until(lambda: len(live()) == 1, timeout=20)  # idle for max_idletime: back to min
    time.sleep(3)  # several strategy periods later it is still min_blocks
    assert len(live()) == 1 and len(executor.blocks) == 2
    (ended_block,) = [b for b in executor.blocks if b not in live()]
    ended_job = executor.blocks[ended_block]
    # The executor's own qdel: the provider records CANCELLED; Grid Engine has dropped the job
    # from qstat and keeps only its accounting record.
    assert executor.status()[ended_block].state is JobState.CANCELLED
    assert ended_job not in qstat_jobs()
    wait_until(lambda: "exit_status" in qacct_record(ended_job), timeout=10)
    assert ge_job_id().result(timeout=30) == executor.blocks[live()[0]]


def test_bad_queue_at_load_is_a_clear_error_with_qsubs_words(
    gridengine: object, tmp_path: Path
) -> None:
    executor = htex(gridengine_provider(queue="nosuch.q"))
    config = Config(executors=[executor], run_dir=str(tmp_path / "runinfo"), strategy="none")
    try:
        with pytest.raises(ScalingFailed, match="unknown queue") as caught:
            parsl.load(config)
    finally:
        parsl.clear()
    assert 'job requests unknown queue "nosuch.q"' in str(caught.value)


def test_bad_queue_under_the_strategy_stops_scaling_and_fails_tasks(
    load: Callable[..., HighThroughputExecutor],
) -> None:
    provider = gridengine_provider(queue="nosuch.q", init_blocks=0, max_blocks=1)
    executor = load(provider, strategy="simple", strategy_period=0.5)
    task = ge_job_id()
    with pytest.raises(Exception, match="unknown queue"):
        task.result(timeout=15)
    assert executor.bad_state_is_set
    assert 'unknown queue "nosuch.q"' in str(executor.executor_exception)
    tries = len(list(Path(provider.script_dir or "").glob("*.submit")))
    assert tries >= 1
    time.sleep(3)  # six strategy periods: no more qsub attempts
    assert len(list(Path(provider.script_dir or "").glob("*.submit"))) == tries

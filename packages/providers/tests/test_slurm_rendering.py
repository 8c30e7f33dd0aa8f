"""SlurmScheduler.render_submit_script against golden scripts, for several option sets."""

from __future__ import annotations

from typing import Any

import pytest

from parsl.providers.cluster.scheduler import SubmitContext
from parsl.providers.cluster.slurm import SlurmProvider, SlurmScheduler, memory_directive


def context(**options: Any) -> SubmitContext:
    return SubmitContext(
        job_name="parsl.htex.block-0.17",
        nodes_per_block=2,
        tasks_per_node=4,
        walltime="01:30:00",
        scheduler_options="",
        worker_init="",
        command="process_worker_pool.py --block 0",
        stdout_path="/run/submit/parsl.htex.block-0.17.stdout",
        stderr_path="/run/submit/parsl.htex.block-0.17.stderr",
        options=options,
    )


HEAD = """\
#!/bin/bash
# A Parsl block, rendered by SlurmProvider.
#SBATCH --job-name=parsl.htex.block-0.17
#SBATCH --output=/run/submit/parsl.htex.block-0.17.stdout
#SBATCH --error=/run/submit/parsl.htex.block-0.17.stderr
#SBATCH --nodes=2
#SBATCH --ntasks-per-node=4
#SBATCH --time=01:30:00
"""

TAIL = """\

export JOBNAME=parsl.htex.block-0.17

process_worker_pool.py --block 0
"""


def test_no_options() -> None:
    assert SlurmScheduler().render_submit_script(context()) == HEAD + "\n" + "\n" + TAIL


def test_every_option() -> None:
    ctx = context(
        partition="debug",
        account="proj42",
        qos="high",
        constraint="knl&quad",
        clusters="gpu",
        exclusive=True,
        cores_per_node=64,
        mem_per_node=128,
    )
    expected = (
        HEAD
        + """\
#SBATCH --partition=debug
#SBATCH --account=proj42
#SBATCH --qos=high
#SBATCH --constraint=knl&quad
#SBATCH --clusters=gpu
#SBATCH --exclusive
#SBATCH --cpus-per-task=16
#SBATCH --mem=128G


"""
        + TAIL
    )
    assert SlurmScheduler().render_submit_script(ctx) == expected


def test_scheduler_options_and_worker_init_are_verbatim() -> None:
    ctx = SubmitContext(
        **{
            **context().__dict__,
            "scheduler_options": "#SBATCH --gres=gpu:2\n#SBATCH --mail-type=END",
            "worker_init": "module load python\nsource activate parsl",
            "options": {"partition": "gpu", "exclusive": False},
        }
    )
    expected = (
        HEAD
        + """\
#SBATCH --partition=gpu
#SBATCH --gres=gpu:2
#SBATCH --mail-type=END
module load python
source activate parsl
"""
        + TAIL
    )
    assert SlurmScheduler().render_submit_script(ctx) == expected


def test_directives_precede_the_first_command() -> None:
    # sbatch stops reading #SBATCH lines at the first command, so all must come first.
    ctx = SubmitContext(
        **{
            **context(partition="p", mem_per_node=0.5).__dict__,
            "scheduler_options": "#SBATCH --gres=gpu:1",
            "worker_init": "echo init",
        }
    )
    lines = SlurmScheduler().render_submit_script(ctx).splitlines()
    first_command = next(
        i for i, line in enumerate(lines) if line.strip() and not line.startswith("#")
    )
    assert lines[first_command] == "echo init"
    assert all(not line.startswith("#SBATCH") for line in lines[first_command:])
    assert "#SBATCH --mem=512M" in lines


@pytest.mark.parametrize(
    ("cores", "tasks", "cpus"),
    [(64, 4, 16), (10, 3, 3), (2, 8, 1), (1, 1, 1)],
)
def test_cpus_per_task_splits_cores_between_tasks(cores: int, tasks: int, cpus: int) -> None:
    ctx = SubmitContext(**{**context(cores_per_node=cores).__dict__, "tasks_per_node": tasks})
    assert f"#SBATCH --cpus-per-task={cpus}\n" in SlurmScheduler().render_submit_script(ctx)


@pytest.mark.parametrize(
    ("gigabytes", "directive"),
    [(None, None), (4, "4G"), (4.0, "4G"), (1.5, "1536M"), (0.0001, "1M")],
)
def test_memory_directive(gigabytes: float | None, directive: str | None) -> None:
    assert memory_directive(gigabytes) == directive


def test_provider_settings_reach_the_script() -> None:
    provider = SlurmProvider(
        partition="debug", account="acct", exclusive=False, cores_per_node=8, mem_per_node=2
    )
    script = provider.scheduler.render_submit_script(
        SubmitContext(**{**context().__dict__, "options": provider.scheduler_settings()})
    )
    assert "#SBATCH --partition=debug\n#SBATCH --account=acct\n" in script
    assert "--exclusive" not in script
    assert "#SBATCH --cpus-per-task=2\n#SBATCH --mem=2G\n" in script
    assert "--qos" not in script and "--constraint" not in script and "--clusters" not in script


def test_settings_changed_after_construction_are_used() -> None:
    provider = SlurmProvider()
    provider.partition = "late"
    assert provider.scheduler_settings()["partition"] == "late"
    assert provider.scheduler_settings()["exclusive"] is True

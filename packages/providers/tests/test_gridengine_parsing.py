"""GridEngineScheduler: state letters, qacct edge cases, qdel failures, commands, and the rendered script."""

from __future__ import annotations

from typing import Any

import pytest

from parsl.errors import ConfigurationError
from parsl.jobs.states import JobState
from parsl.providers import GridEngineProvider
from parsl.providers.cluster.gridengine import GridEngineScheduler, gridengine_state_to_status
from parsl.providers.cluster.scheduler import SubmitContext
from parsl.providers.errors import ProviderError, SubmitException

GE = GridEngineScheduler()


@pytest.mark.parametrize(
    ("code", "state"),
    [
        # qstat(1), "state": every combination it documents.
        ("qw", JobState.PENDING),
        ("hqw", JobState.HELD),
        ("hRwq", JobState.HELD),
        ("r", JobState.RUNNING),
        ("t", JobState.RUNNING),
        ("Rr", JobState.RUNNING),
        ("Rt", JobState.RUNNING),
        ("s", JobState.HELD),
        ("ts", JobState.HELD),
        ("S", JobState.HELD),
        ("tS", JobState.HELD),
        ("T", JobState.HELD),
        ("tT", JobState.HELD),
        ("Rs", JobState.HELD),
        ("RS", JobState.HELD),
        ("RT", JobState.HELD),
        ("Eqw", JobState.FAILED),
        ("Ehqw", JobState.FAILED),
        ("EhRqw", JobState.FAILED),
        ("dr", JobState.CANCELLED),
        ("dt", JobState.CANCELLED),
        ("dRr", JobState.CANCELLED),
        ("ds", JobState.CANCELLED),
        ("dT", JobState.CANCELLED),
    ],
)
def test_state_letters(code: str, state: JobState) -> None:
    status = gridengine_state_to_status(code)
    assert status.state == state
    assert code in (status.message or "")


@pytest.mark.parametrize("code", ["", "zz", "1", "r!"])
def test_unknown_state_is_unknown(code: str) -> None:
    assert gridengine_state_to_status(code).state == JobState.UNKNOWN


ARRAY_TABLE = """\
job-ID  prior   name       user         state submit/start at     queue                          slots ja-task-ID
-----------------------------------------------------------------------------------------------------------------
     42 0.55500 arr        alice        qw    11/24/2026 10:00:00                                    1 3-4:1
     42 0.55500 arr        alice        r     11/24/2026 10:00:01 all.q@node1                        1 1
     43 0.55500 other      alice        Eqw   11/24/2026 10:00:02                                    1
"""


def test_array_job_counts_as_running_when_a_task_runs() -> None:
    statuses = GE.parse_status_output(0, ARRAY_TABLE, "", ["42", "43", "44"])
    assert [statuses[i].state for i in ("42", "43", "44")] == [
        JobState.RUNNING,
        JobState.FAILED,
        JobState.MISSING,
    ]


def test_qstat_failure_raises_with_its_output() -> None:
    err = "error: commlib error: got select error (Connection refused)\nunable to contact qmaster\n"
    with pytest.raises(ProviderError) as info:
        GE.parse_status_output(1, "", err, ["1"])
    assert "qstat failed with exit code 1" in str(info.value)
    assert info.value.stderr == err


def test_qacct_takes_the_last_record_of_a_rerun_job() -> None:
    first = "=" * 62 + "\njobnumber    7\nfailed       0    \nexit_status  2\n"
    second = "=" * 62 + "\njobnumber    7\nfailed       0    \nexit_status  0\n"
    assert GE.parse_history_output(0, first + second, "", "7").state == JobState.COMPLETED


def test_qacct_without_accounting_file_is_missing() -> None:
    err = "/var/lib/gridengine/default/common/accounting: No such file or directory\n"
    assert GE.parse_history_output(1, "", err, "7").state == JobState.MISSING


def test_qacct_failure_before_the_job_ran() -> None:
    out = "=" * 62 + "\nfailed       26  : opening input/output file\nexit_status  0\n"
    status = GE.parse_history_output(0, out, "", "7")
    assert status.state == JobState.FAILED
    assert "failed 26 (opening input/output file)" in (status.message or "")


def test_qsub_output_without_id_is_an_error() -> None:
    with pytest.raises(SubmitException, match="names no job id"):
        GE.parse_submit_output(0, "something else\n", "")


def test_qsub_array_job_id() -> None:
    out = 'Your job-array 99.1-4:1 ("arr") has been submitted\n'
    assert GE.parse_submit_output(0, out, "") == "99"


def test_qdel_failure_naming_no_job_raises() -> None:
    with pytest.raises(ProviderError, match="qdel failed with exit code 1"):
        GE.parse_cancel_output(1, "", "unable to contact qmaster\n", ["5"])


def test_commands() -> None:
    assert GE.submit_command("/s/b.submit") == ["qsub", "/s/b.submit"]
    assert GE.status_command(["1", "2"]) == ["qstat"]
    assert GE.history_command("1") == ["qacct", "-j", "1"]
    assert GE.cancel_command(["1", "2"]) == ["qdel", "1", "2"]


def context(**options: Any) -> SubmitContext:
    return SubmitContext(
        job_name="parsl.htex.block-0.17",
        nodes_per_block=2,
        tasks_per_node=4,
        walltime="01:30:00",
        scheduler_options="#$ -l h_vmem=4G",
        worker_init="module load python",
        command="process_worker_pool.py --block 0",
        stdout_path="/run/b.stdout",
        stderr_path="/run/b.stderr",
        options=options,
    )


GOLDEN = """\
#!/bin/bash
# A Parsl block, rendered by GridEngineProvider.
#$ -S /bin/bash
#$ -N parsl.htex.block-0.17
#$ -o /run/b.stdout
#$ -e /run/b.stderr
#$ -l h_rt=01:30:00
{directives}#$ -l h_vmem=4G
module load python

export JOBNAME=parsl.htex.block-0.17

process_worker_pool.py --block 0
"""


def test_golden_script_without_options() -> None:
    assert GE.render_submit_script(context()) == GOLDEN.format(directives="")


def test_golden_script_with_queue_and_parallel_environment() -> None:
    ctx = context(queue="debug.q", parallel_environment="smp")
    expected = GOLDEN.format(directives="#$ -q debug.q\n#$ -pe smp 8\n")
    assert GE.render_submit_script(ctx) == expected


def test_provider_settings_reach_the_script() -> None:
    provider = GridEngineProvider(queue="long.q", walltime="00:01:00")
    script = GE.render_submit_script(
        SubmitContext(**{**context().__dict__, "options": provider.scheduler_settings()})
    )
    assert "#$ -q long.q\n" in script and "-pe" not in script
    assert provider.cmd_timeout == 60 and provider.label == "gridengine"


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"queue": ""}, "queue"),
        ({"queue": "a\nb"}, "queue"),
        ({"parallel_environment": 3}, "parallel_environment"),
        ({"walltime": "10"}, "walltime"),
        ({"nodes_per_block": 0}, "nodes_per_block"),
    ],
)
def test_bad_arguments_name_the_field(kwargs: dict[str, Any], field: str) -> None:
    with pytest.raises(ConfigurationError, match=field):
        GridEngineProvider(**kwargs)

"""SlurmScheduler's parsers on output recorded from a real Slurm 22.05 (see data/slurm/recorded-22.05)."""

from __future__ import annotations

from pathlib import Path

import pytest

from parsl.jobs.states import JobState
from parsl.providers.cluster.slurm import SlurmScheduler
from parsl.providers.errors import SubmitException

DATA = Path(__file__).parent / "data" / "slurm" / "recorded-22.05"
SLURM = SlurmScheduler()


def recorded(case: str) -> tuple[int, str, str]:
    def read(ext: str) -> str:
        p = DATA / f"{case}.{ext}"
        return p.read_text() if p.exists() else ""

    return int(read("rc")), read("stdout"), read("stderr")


def test_submit_ok() -> None:
    assert SLURM.parse_submit_output(*recorded("sbatch_ok")) == "1"


def test_submit_bad_partition_carries_sbatchs_words() -> None:
    with pytest.raises(SubmitException, match="invalid partition specified: nosuch"):
        SLURM.parse_submit_output(*recorded("sbatch_bad_partition"))


def test_status_of_running_pending_failed_completed() -> None:
    rc, out, err = recorded("squeue_mixed")
    statuses = SLURM.parse_status_output(rc, out, err, ["1", "2", "3", "4"])
    assert statuses["1"].state is JobState.RUNNING
    assert statuses["2"].state is JobState.PENDING
    assert statuses["3"].state is JobState.FAILED
    assert statuses["4"].state is JobState.COMPLETED


def test_status_after_cancel() -> None:
    rc, out, err = recorded("squeue_cancelled")
    statuses = SLURM.parse_status_output(rc, out, err, ["1", "2"])
    assert {s.state for s in statuses.values()} == {JobState.CANCELLED}


def test_unknown_job_is_not_an_error() -> None:
    rc, out, err = recorded("squeue_unknown")
    assert rc == 1 and "Invalid job id specified" in err
    statuses = SLURM.parse_status_output(rc, out, err, ["99999"])
    assert statuses["99999"].state is JobState.MISSING


# -- sacct, recorded from a Slurm with slurmdbd (see data/slurm/recorded-22.05-sacct) --------


@pytest.mark.parametrize(
    ("case", "job_id", "state", "exit_code", "words"),
    [
        ("sacct_completed", "1", JobState.COMPLETED, 0, "COMPLETED, exit code 0:0"),
        ("sacct_failed", "2", JobState.FAILED, 3, "FAILED, exit code 3:0"),
        ("sacct_cancelled", "3", JobState.CANCELLED, 0, "CANCELLED by 0"),
        ("sacct_signalled", "4", JobState.FAILED, 0, "killed by signal 9"),
        ("sacct_unknown", "99999", JobState.MISSING, None, "no accounting record"),
        ("sacct_disabled", "1", JobState.MISSING, None, "sacct failed"),
    ],
)
def test_history_from_sacct(
    case: str, job_id: str, state: JobState, exit_code: int | None, words: str
) -> None:
    status = SLURM.parse_history_output(*recorded_sacct(case), job_id)
    assert status.state is state
    assert status.exit_code == exit_code
    assert words in str(status.message)


def test_history_ignores_other_jobs_and_odd_lines() -> None:
    out = "CLUSTER: main\n7|RUNNING|0:0\n\n8|TIMEOUT|0:15\n8.batch|CANCELLED|0:15\n9|WEIRD|x:y\n"
    assert SLURM.parse_history_output(0, out, "", "8").state is JobState.TIMEOUT
    assert SLURM.parse_history_output(0, out, "", "7").state is JobState.RUNNING
    odd = SLURM.parse_history_output(0, out, "", "9")
    assert odd.state is JobState.UNKNOWN and odd.exit_code is None


def test_history_command_names_the_job_and_clusters() -> None:
    assert SLURM.history_command("12") == [
        "sacct",
        "--noheader",
        "--parsable2",
        "--allocations",
        "--format=JobIDRaw,State,ExitCode",
        "--jobs=12",
    ]
    assert "--clusters=a,b" in SlurmScheduler(clusters="a,b").history_command("12")  # type: ignore[operator]


def recorded_sacct(case: str) -> tuple[int, str, str]:
    base = DATA.parent / "recorded-22.05-sacct"
    return (
        int((base / f"{case}.rc").read_text()),
        (base / f"{case}.stdout").read_text(),
        (base / f"{case}.stderr").read_text(),
    )

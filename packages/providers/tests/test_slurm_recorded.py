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

"""GridEngineScheduler's parsers on output recorded from a real Grid Engine 8.1.9 (data/gridengine/recorded-8.1.9)."""

from __future__ import annotations

import pytest
from recorded_output import DATA, recorded

from parsl.jobs.states import JobState
from parsl.providers.cluster.gridengine import GridEngineScheduler
from parsl.providers.errors import SubmitException

GE = GridEngineScheduler()
RECORDED = "gridengine/recorded-8.1.9"
IDS = dict(pair.split("=") for pair in (DATA / RECORDED / "job_ids.txt").read_text().split())


def test_qsub_ok() -> None:
    assert GE.parse_submit_output(*recorded(RECORDED, "qsub_ok")) == IDS["R"]


@pytest.mark.parametrize(
    ("case", "words"),
    [
        ("qsub_bad_queue", 'job requests unknown queue "nosuch.q"'),
        ("qsub_bad_resource", 'unknown resource "nosuch"'),
    ],
)
def test_qsub_rejection_carries_qsubs_words(case: str, words: str) -> None:
    rc, out, err = recorded(RECORDED, case)
    with pytest.raises(SubmitException) as info:
        GE.parse_submit_output(rc, out, err)
    assert words in str(info.value)
    assert "qsub failed with exit code 1" in str(info.value)
    assert info.value.stderr == err


def test_qstat_running_held_pending_and_gone() -> None:
    rc, out, err = recorded(RECORDED, "qstat_mixed")
    statuses = GE.parse_status_output(rc, out, err, list(IDS.values()))
    assert {key: statuses[job].state for key, job in IDS.items()} == {
        "R": JobState.RUNNING,
        "T": JobState.RUNNING,
        "H": JobState.HELD,
        "P": JobState.PENDING,
        "F": JobState.MISSING,  # finished jobs leave qstat at once
        "C": JobState.MISSING,
    }
    assert statuses[IDS["H"]].message == "Grid Engine state hqw"


def test_qstat_with_nothing_left_lists_every_job_as_missing() -> None:
    rc, out, err = recorded(RECORDED, "qstat_empty")
    statuses = GE.parse_status_output(rc, out, err, list(IDS.values()))
    assert {s.state for s in statuses.values()} == {JobState.MISSING}


@pytest.mark.parametrize(
    ("case", "state", "exit_code", "words"),
    [
        ("qacct_completed", JobState.COMPLETED, 0, "exit status 0"),
        ("qacct_failed", JobState.FAILED, 3, "exit status 3"),
        ("qacct_cancelled", JobState.FAILED, 137, "failed 100 (assumedly after job)"),
        ("qacct_timeout", JobState.TIMEOUT, 137, "qmaster enforced h_rt"),
    ],
)
def test_qacct_final_states(case: str, state: JobState, exit_code: int, words: str) -> None:
    rc, out, err = recorded(RECORDED, case)
    status = GE.parse_history_output(rc, out, err, "1")
    assert (status.state, status.exit_code) == (state, exit_code)
    assert words in (status.message or "")


def test_qacct_without_a_record_is_missing() -> None:
    rc, out, err = recorded(RECORDED, "qacct_unknown")
    assert rc == 1 and "not found" in err
    assert GE.parse_history_output(rc, out, err, "99999").state == JobState.MISSING


@pytest.mark.parametrize(
    ("case", "ids", "expected"),
    [
        ("qdel_running", [IDS["R"]], [True]),
        ("qdel_pending", [IDS["P"]], [True]),
        ("qdel_unknown", ["99999"], [False]),
        ("qdel_mixed", [IDS["H"], "99998"], [True, False]),
    ],
)
def test_qdel(case: str, ids: list[str], expected: list[bool]) -> None:
    assert GE.parse_cancel_output(*recorded(RECORDED, case), ids) == expected

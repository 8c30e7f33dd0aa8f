"""LSFScheduler and CondorScheduler parsers on output written from their documentation (data/lsf, data/condor)."""

from __future__ import annotations

import pytest
from recorded_output import recorded

from parsl.jobs.states import JobState, JobStatus
from parsl.providers.cluster.condor import (
    CONDOR_STATES,
    CondorScheduler,
    block_status,
    condor_proc_status,
)
from parsl.providers.cluster.lsf import LSF_STATES, LSFScheduler, lsf_state_to_status
from parsl.providers.errors import ProviderError, SubmitException

LSF = LSFScheduler()
CONDOR = CondorScheduler()

# -- LSF -------------------------------------------------------------------------


@pytest.mark.parametrize(("case", "job_id"), [("bsub_ok", "4711"), ("bsub_default_queue", "4712")])
def test_bsub_job_id(case: str, job_id: str) -> None:
    assert LSF.parse_submit_output(*recorded("lsf", case)) == job_id


@pytest.mark.parametrize(
    ("case", "words"),
    [("bsub_unknown_queue", "No such queue"), ("bsub_no_project", "Project name is required")],
)
def test_bsub_refusal_carries_its_words(case: str, words: str) -> None:
    with pytest.raises(SubmitException, match=words) as info:
        LSF.parse_submit_output(*recorded("lsf", case))
    assert "bsub failed with exit code 255" in str(info.value)


def test_bsub_without_id() -> None:
    with pytest.raises(SubmitException, match="names no job id"):
        LSF.parse_submit_output(0, "Job submitted somewhere.\n", "")


LSF_EXPECTED = {
    "4711": JobState.RUNNING,
    "4712": JobState.PENDING,
    "4713": JobState.COMPLETED,
    "4714": JobState.FAILED,
    "4715": JobState.HELD,
    "4716": JobState.HELD,
    "4717": JobState.HELD,
    "4718": JobState.FAILED,
    "4719": JobState.UNKNOWN,
    "4720": JobState.PENDING,
    "4721": JobState.PENDING,
    "4722": JobState.FAILED,
    "4799": JobState.MISSING,
}


def test_bjobs_every_state() -> None:
    rc, out, err = recorded("lsf", "bjobs_mixed")
    statuses = LSF.parse_status_output(rc, out, err, list(LSF_EXPECTED))
    assert {i: s.state for i, s in statuses.items()} == LSF_EXPECTED
    assert (statuses["4714"].exit_code, statuses["4722"].exit_code) == (3, 130)
    assert statuses["4713"].exit_code == 0
    assert statuses["4711"].exit_code is None
    assert set(LSF_STATES) == {line.split()[1] for line in out.splitlines()}


def test_bjobs_only_unknown_is_missing_not_error() -> None:
    statuses = LSF.parse_status_output(*recorded("lsf", "bjobs_only_unknown"), ["4798", "4799"])
    assert {s.state for s in statuses.values()} == {JobState.MISSING}


def test_bjobs_daemon_down_raises() -> None:
    with pytest.raises(ProviderError, match="LSF is down"):
        LSF.parse_status_output(*recorded("lsf", "bjobs_daemon_down"), ["4711"])


def test_unknown_lsf_state() -> None:
    assert lsf_state_to_status("HUH").state == JobState.UNKNOWN


def test_bkill() -> None:
    result = LSF.parse_cancel_output(*recorded("lsf", "bkill_mixed"), ["4711", "4713", "4799"])
    assert result == [True, False, False]
    with pytest.raises(ProviderError, match="bkill failed with exit code 255"):
        LSF.parse_cancel_output(*recorded("lsf", "bkill_daemon_down"), ["4711"])


def test_lsf_commands() -> None:
    assert LSF.submit_command("/s/b") == ["bsub", "/s/b"]
    assert LSFScheduler(bsub_redirection=True).submit_command("/s/b c") == [
        "/bin/sh",
        "-c",
        'exec bsub < "$1"',
        "bsub",
        "/s/b c",
    ]
    assert LSF.status_command(["1", "2"]) == [
        "bjobs",
        "-noheader",
        "-o",
        "jobid stat exit_code",
        "1",
        "2",
    ]
    assert LSF.cancel_command(["1"]) == ["bkill", "1"]


# -- HTCondor ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("case", "job_id"), [("condor_submit_ok", "77"), ("condor_submit_two_procs", "78")]
)
def test_condor_submit_cluster_id(case: str, job_id: str) -> None:
    assert CONDOR.parse_submit_output(*recorded("condor", case)) == job_id


def test_condor_submit_error() -> None:
    with pytest.raises(SubmitException, match="Parse error in expression") as info:
        CONDOR.parse_submit_output(*recorded("condor", "condor_submit_error"))
    assert "condor_submit failed with exit code 1" in str(info.value)


CONDOR_EXPECTED = {
    "77": JobState.RUNNING,
    "78": JobState.RUNNING,  # one proc idle, one running
    "79": JobState.HELD,
    "80": JobState.COMPLETED,
    "81": JobState.FAILED,
    "82": JobState.TIMEOUT,  # removed by our periodic_remove
    "83": JobState.CANCELLED,
    "84": JobState.HELD,
    "85": JobState.RUNNING,
    "86": JobState.PENDING,  # one proc idle, one held
    "99": JobState.MISSING,
}


def test_condor_q_every_status() -> None:
    rc, out, err = recorded("condor", "condor_q_mixed")
    statuses = CONDOR.parse_status_output(rc, out, err, list(CONDOR_EXPECTED))
    assert {i: s.state for i, s in statuses.items()} == CONDOR_EXPECTED
    assert statuses["81"].exit_code == 3
    assert "via condor_rm (by user alice)" in (statuses["83"].message or "")
    assert set(CONDOR_STATES) == {line.split()[1] for line in out.splitlines()}


def test_condor_q_empty_and_down() -> None:
    statuses = CONDOR.parse_status_output(*recorded("condor", "condor_q_empty"), ["77"])
    assert statuses["77"].state == JobState.MISSING
    with pytest.raises(ProviderError, match="Failed to fetch ads"):
        CONDOR.parse_status_output(*recorded("condor", "condor_q_schedd_down"), ["77"])


@pytest.mark.parametrize(
    ("case", "job_id", "state"),
    [
        ("condor_history_completed", "80", JobState.COMPLETED),
        ("condor_history_two_procs", "78", JobState.FAILED),
        ("condor_history_timeout", "82", JobState.TIMEOUT),
        ("condor_history_empty", "90", JobState.MISSING),
    ],
)
def test_condor_history(case: str, job_id: str, state: JobState) -> None:
    assert CONDOR.parse_history_output(*recorded("condor", case), job_id).state == state


def test_block_status_takes_the_most_active_proc() -> None:
    done = JobStatus(JobState.COMPLETED)
    failed = JobStatus(JobState.FAILED)
    assert block_status([done, failed]) is failed
    assert block_status([done, JobStatus(JobState.RUNNING)]).state == JobState.RUNNING


def test_unknown_condor_status() -> None:
    assert condor_proc_status("9", "undefined", "").state == JobState.UNKNOWN


def test_condor_rm() -> None:
    assert CONDOR.parse_cancel_output(*recorded("condor", "condor_rm_ok"), ["77"]) == [True]
    assert CONDOR.parse_cancel_output(*recorded("condor", "condor_rm_unknown"), ["999"]) == [False]
    with pytest.raises(ProviderError, match="Can't find address of local schedd"):
        CONDOR.parse_cancel_output(*recorded("condor", "condor_rm_schedd_down"), ["77"])
    assert CONDOR.parse_cancel_output(0, "Job 77.0 marked for removal\n", "", ["77"]) == [True]


def test_condor_commands() -> None:
    assert CONDOR.submit_command("/s/b.submit") == ["condor_submit", "/s/b.submit.condor"]
    assert CONDOR.status_command(["7", "8"]) == [
        "condor_q",
        "7",
        "8",
        "-af:j",
        "JobStatus",
        "ExitCode",
        "RemoveReason",
    ]
    assert CONDOR.history_command("7") == [
        "condor_history",
        "7",
        "-af:j",
        "JobStatus",
        "ExitCode",
        "RemoveReason",
    ]
    assert CONDOR.cancel_command(["7"]) == ["condor_rm", "7"]

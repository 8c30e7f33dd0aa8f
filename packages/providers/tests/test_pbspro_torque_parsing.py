"""PBSProScheduler and TorqueScheduler parsers on output written from their documentation (data/pbspro, data/torque)."""

from __future__ import annotations

import pytest
from recorded_output import recorded

from parsl.jobs.states import JobState
from parsl.providers.cluster.pbs import PBS_STATES, ids_named, pbs_status, same_job
from parsl.providers.cluster.pbspro import PBSProScheduler
from parsl.providers.cluster.torque import TorqueScheduler, parse_full_status
from parsl.providers.errors import ProviderError, SubmitException

PBSPRO = PBSProScheduler()
TORQUE = TorqueScheduler()

# -- shared PBS rules ----------------------------------------------------------


@pytest.mark.parametrize(
    ("reported", "asked", "same"),
    [
        ("8123.pbs01", "8123.pbs01", True),
        ("8123.pbs01", "8123.pbs01.example.org", True),
        ("8123", "8123.pbs01", True),
        ("81234.pbs01", "8123.pbs01", False),
        ("8123.pbs01", "8123.pbs02", False),
        ("8123[].pbs01", "8123.pbs01", False),
    ],
)
def test_same_job(reported: str, asked: str, same: bool) -> None:
    assert same_job(reported, asked) is same
    assert same_job(asked, reported) is same


def test_ids_named_finds_ids_with_or_without_server() -> None:
    text = "qdel: Unknown Job Id 8999\nqdel: Job has finished 8126.pbs01\n"
    assert ids_named(text, ["8999.pbs01", "8126.pbs01", "8123.pbs01"]) == {
        "8999.pbs01",
        "8126.pbs01",
    }


@pytest.mark.parametrize(
    ("exit_status", "used", "state", "words"),
    [
        (0, None, JobState.COMPLETED, "finished"),
        (3, None, JobState.FAILED, "exit status 3"),
        (-1, None, JobState.FAILED, "PBS could not run the job (exit status -1)"),
        (271, "00:10:00", JobState.TIMEOUT, "killed by signal 15 at its walltime 00:10:00"),
        (271, "00:09:59", JobState.FAILED, "killed by signal 15"),
        (265, None, JobState.FAILED, "killed by signal 9"),
    ],
)
def test_finished_exit_status(
    exit_status: int, used: str | None, state: JobState, words: str
) -> None:
    status = pbs_status("F", exit_status, used_walltime=used, walltime_limit="00:10:00")
    assert status.state == state
    assert status.exit_code == exit_status
    assert words in (status.message or "")


def test_every_documented_letter_maps_and_unknown_letters_are_unknown() -> None:
    assert set(PBS_STATES) == set("BCEFHMQRSTUWX")
    assert pbs_status("Z", None).state == JobState.UNKNOWN
    assert pbs_status("", None).state == JobState.UNKNOWN


# -- PBS Pro ---------------------------------------------------------------------


def test_pbspro_qsub() -> None:
    assert PBSPRO.parse_submit_output(*recorded("pbspro", "qsub_ok")) == "8123.pbs01"


@pytest.mark.parametrize(
    ("case", "words"),
    [
        ("qsub_unknown_queue", "Unknown queue"),
        ("qsub_walltime_over_limit", "violates queue and/or server resource limits"),
    ],
)
def test_pbspro_qsub_refusals(case: str, words: str) -> None:
    rc, out, err = recorded("pbspro", case)
    with pytest.raises(SubmitException) as info:
        PBSPRO.parse_submit_output(rc, out, err)
    assert words in str(info.value) and f"exit code {rc}" in str(info.value)


def test_pbspro_qsub_noise_is_not_an_id() -> None:
    with pytest.raises(SubmitException, match="not a job id"):
        PBSPRO.parse_submit_output(0, "job submitted, see you later\n", "")


PBSPRO_EXPECTED = {
    "8123.pbs01": JobState.RUNNING,
    "8124.pbs01": JobState.PENDING,
    "8125.pbs01": JobState.HELD,
    "8126.pbs01": JobState.COMPLETED,
    "8127.pbs01": JobState.FAILED,
    "8128.pbs01": JobState.TIMEOUT,
    "8129.pbs01": JobState.FAILED,
    "8130.pbs01": JobState.FAILED,
    "8131.pbs01": JobState.RUNNING,  # E: exiting, not over yet
    "8132[].pbs01": JobState.RUNNING,
    "8133.pbs01": JobState.HELD,
    "8134.pbs01": JobState.PENDING,
    "8999.pbs01": JobState.MISSING,  # "Unknown Job Id" on stderr
}


def test_pbspro_qstat_json_every_state() -> None:
    rc, out, err = recorded("pbspro", "qstat_mixed")
    statuses = PBSPRO.parse_status_output(rc, out, err, list(PBSPRO_EXPECTED))
    assert {i: s.state for i, s in statuses.items()} == PBSPRO_EXPECTED
    assert statuses["8127.pbs01"].exit_code == 3
    assert "Insufficient amount of resource: ncpus" in (statuses["8124.pbs01"].message or "")


def test_pbspro_ids_asked_without_server_suffix() -> None:
    rc, out, err = recorded("pbspro", "qstat_mixed")
    statuses = PBSPRO.parse_status_output(rc, out, err, ["8123", "8126"])
    assert [s.state for s in statuses.values()] == [JobState.RUNNING, JobState.COMPLETED]


@pytest.mark.parametrize("case", ["qstat_only_unknown", "qstat_no_jobs_object"])
def test_pbspro_nothing_known(case: str) -> None:
    rc, out, err = recorded("pbspro", case)
    statuses = PBSPRO.parse_status_output(rc, out, err, ["8998.pbs01", "8999.pbs01"])
    assert {s.state for s in statuses.values()} == {JobState.MISSING}


def test_pbspro_qstat_failure_raises() -> None:
    rc, out, err = recorded("pbspro", "qstat_server_down")
    with pytest.raises(ProviderError, match="cannot connect to server pbs01") as info:
        PBSPRO.parse_status_output(rc, out, err, ["8123.pbs01"])
    assert "qstat failed with exit code 2" in str(info.value)


def test_pbspro_qstat_not_json_raises() -> None:
    with pytest.raises(ProviderError, match="not its JSON"):
        PBSPRO.parse_status_output(0, "Job id  Name  User\n", "", ["1.s"])


@pytest.mark.parametrize(
    ("case", "expected"),
    [("qdel_ok", [True, True]), ("qdel_unknown", [True, False]), ("qdel_finished", [False, True])],
)
def test_pbspro_qdel(case: str, expected: list[bool]) -> None:
    result = PBSPRO.parse_cancel_output(*recorded("pbspro", case), ["8126.pbs01", "8999.pbs01"])
    assert result == expected


def test_pbspro_qdel_failure_naming_no_job_raises() -> None:
    with pytest.raises(ProviderError, match="qdel failed with exit code 2"):
        PBSPRO.parse_cancel_output(*recorded("pbspro", "qdel_server_down"), ["8123.pbs01"])


def test_pbspro_commands() -> None:
    assert PBSPRO.submit_command("/s/b") == ["qsub", "/s/b"]
    assert PBSPRO.status_command(["1.s", "2.s"]) == [
        "qstat",
        "-f",
        "-F",
        "json",
        "-x",
        "1.s",
        "2.s",
    ]
    assert PBSPRO.cancel_command(["1.s"]) == ["qdel", "1.s"]
    assert PBSPRO.history_command("1.s") is None


# -- Torque ----------------------------------------------------------------------

T = ".torque01.example.org"
TORQUE_EXPECTED = {
    "1234" + T: JobState.RUNNING,
    "1235" + T: JobState.PENDING,
    "1236" + T: JobState.HELD,
    "1237" + T: JobState.COMPLETED,
    "1238" + T: JobState.FAILED,
    "1239" + T: JobState.TIMEOUT,
    "1240" + T: JobState.FAILED,
    "1241" + T: JobState.RUNNING,
    "1242" + T: JobState.PENDING,
    "1243" + T: JobState.HELD,
    "1244" + T: JobState.PENDING,
    "1299" + T: JobState.MISSING,
}


def test_torque_qsub() -> None:
    assert TORQUE.parse_submit_output(*recorded("torque", "qsub_ok")) == "1234" + T
    with pytest.raises(SubmitException, match="Unknown queue"):
        TORQUE.parse_submit_output(*recorded("torque", "qsub_unknown_queue"))


def test_torque_qstat_full_every_state() -> None:
    rc, out, err = recorded("torque", "qstat_full")
    statuses = TORQUE.parse_status_output(rc, out, err, list(TORQUE_EXPECTED))
    assert {i: s.state for i, s in statuses.items()} == TORQUE_EXPECTED
    assert statuses["1238" + T].exit_code == 2
    assert statuses["1240" + T].exit_code == -1


def test_torque_folded_attribute_is_joined() -> None:
    jobs = parse_full_status(recorded("torque", "qstat_folded")[1])
    variables = jobs["1250" + T]["Variable_List"]
    assert variables.endswith("PBS_O_LOGNAME=alice,PBS_O_PATH=/usr/bin:/bin,PBS_O_SHELL=/bin/bash")
    assert jobs["1250" + T]["exit_status"] == "0"


def test_torque_only_unknown_and_server_down() -> None:
    rc, out, err = recorded("torque", "qstat_only_unknown")
    assert TORQUE.parse_status_output(rc, out, err, ["1299" + T])["1299" + T].state == (
        JobState.MISSING
    )
    rc, out, err = recorded("torque", "qstat_server_down")
    with pytest.raises(ProviderError, match="check pbs_server daemon"):
        TORQUE.parse_status_output(rc, out, err, ["1234" + T])


@pytest.mark.parametrize(
    ("case", "expected"),
    [("qdel_ok", [True, True]), ("qdel_unknown", [True, False]), ("qdel_completed", [False, True])],
)
def test_torque_qdel(case: str, expected: list[bool]) -> None:
    result = TORQUE.parse_cancel_output(*recorded("torque", case), ["1237" + T, "1299" + T])
    assert result == expected


def test_torque_commands() -> None:
    assert TORQUE.status_command(["1.s"]) == ["qstat", "-f", "-1", "1.s"]
    assert TORQUE.cancel_command(["1.s", "2.s"]) == ["qdel", "1.s", "2.s"]

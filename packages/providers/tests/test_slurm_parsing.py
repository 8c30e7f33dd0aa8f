"""SlurmScheduler's parse functions on sbatch/squeue/scancel output kept in tests/data/slurm (see its README)."""

from __future__ import annotations

from pathlib import Path

import pytest

from parsl.jobs.states import JobState
from parsl.providers.cluster.slurm import SLURM_STATES, SlurmScheduler, slurm_state_to_status
from parsl.providers.errors import ProviderError, SubmitException

DATA = Path(__file__).parent / "data" / "slurm"


def data(name: str) -> str:
    return (DATA / name).read_text()


SLURM = SlurmScheduler()

# -- sbatch ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("stdout_file", "stderr_file", "job_id"),
    [
        ("sbatch_submitted.stdout", None, "4242"),
        ("sbatch_submitted_on_cluster.stdout", None, "77"),
        ("sbatch_submitted_with_warning.stdout", "sbatch_submitted_with_warning.stderr", "4243"),
    ],
)
def test_sbatch_job_id_is_parsed(stdout_file: str, stderr_file: str | None, job_id: str) -> None:
    stderr = data(stderr_file) if stderr_file else ""
    assert SLURM.parse_submit_output(0, data(stdout_file), stderr) == job_id


@pytest.mark.parametrize(
    ("stderr_file", "words"),
    [
        ("sbatch_invalid_partition.stderr", "Invalid partition name specified"),
        ("sbatch_time_limit_invalid.stderr", "Requested time limit is invalid"),
        ("sbatch_controller_down.stderr", "Unable to contact slurm controller"),
    ],
)
def test_sbatch_failure_carries_slurms_own_message(stderr_file: str, words: str) -> None:
    stderr = data(stderr_file)
    with pytest.raises(SubmitException) as info:
        SLURM.parse_submit_output(1, "", stderr)
    assert info.value.stderr == stderr
    assert words in str(info.value)
    assert "exit code 1" in str(info.value)


def test_sbatch_success_without_job_id_is_a_submit_error() -> None:
    with pytest.raises(SubmitException) as info:
        SLURM.parse_submit_output(0, "Job queued somewhere\n", "")
    assert "regex_job_id" in str(info.value)
    assert info.value.stdout == "Job queued somewhere\n"


def test_sbatch_empty_id_match_is_rejected() -> None:
    # The default pattern's \S* may match nothing at the end of the output.
    with pytest.raises(SubmitException, match="no job id"):
        SLURM.parse_submit_output(0, "Submitted batch job ", "")


def test_custom_regex_job_id() -> None:
    scheduler = SlurmScheduler(job_id_pattern=r"^(?P<id>\d+);")
    # sbatch --parsable prints "<id>;<cluster>" with clusters.
    assert scheduler.parse_submit_output(0, "91;gpu\n", "") == "91"


# -- squeue ------------------------------------------------------------------

EXPECTED_STATES = {
    "1001": JobState.FAILED,  # BF boot fail
    "1002": JobState.CANCELLED,
    "1003": JobState.COMPLETED,
    "1004": JobState.PENDING,  # CF configuring
    "1005": JobState.RUNNING,  # CG completing
    "1006": JobState.TIMEOUT,  # DL deadline
    "1007": JobState.FAILED,
    "1008": JobState.FAILED,  # NF node fail
    "1009": JobState.FAILED,  # OOM
    "1010": JobState.PENDING,
    "1011": JobState.CANCELLED,  # PR preempted
    "1012": JobState.RUNNING,
    "1013": JobState.HELD,  # RD
    "1014": JobState.PENDING,  # RF
    "1015": JobState.HELD,  # RH
    "1016": JobState.PENDING,  # RQ
    "1017": JobState.RUNNING,  # RS
    "1018": JobState.CANCELLED,  # RV revoked
    "1019": JobState.FAILED,  # SE special exit
    "1020": JobState.RUNNING,  # SI
    "1021": JobState.RUNNING,  # SO
    "1022": JobState.HELD,  # S suspended
    "1023": JobState.HELD,  # ST stopped
    "1024": JobState.TIMEOUT,
}


def test_every_documented_state_code_maps() -> None:
    ids = sorted(EXPECTED_STATES)
    statuses = SLURM.parse_status_output(0, data("squeue_every_state.stdout"), "", ids)
    assert {job_id: s.state for job_id, s in statuses.items()} == EXPECTED_STATES
    assert statuses["1005"].message == "Slurm state CG (COMPLETING)"
    assert statuses["1009"].message == "Slurm state OOM (OUT_OF_MEMORY)"


def test_state_table_covers_the_file() -> None:
    codes = {line.split()[1] for line in data("squeue_every_state.stdout").splitlines()}
    assert codes == set(SLURM_STATES)


def test_padded_ids_arrays_and_unknown_codes() -> None:
    wanted = ["4242", "4243_1", "4243_[2-4]", "4244", "4245", "4246"]
    statuses = SLURM.parse_status_output(0, data("squeue_padded_and_arrays.stdout"), "", wanted)
    assert [statuses[i].state for i in wanted] == [
        JobState.RUNNING,
        JobState.PENDING,
        JobState.PENDING,
        JobState.RUNNING,
        JobState.UNKNOWN,
        JobState.MISSING,
    ]
    assert "'XX'" in (statuses["4245"].message or "")


def test_only_asked_ids_are_returned() -> None:
    statuses = SLURM.parse_status_output(0, data("squeue_padded_and_arrays.stdout"), "", ["4244"])
    assert list(statuses) == ["4244"]


def test_cluster_header_line_is_skipped() -> None:
    statuses = SLURM.parse_status_output(
        0, data("squeue_on_cluster.stdout"), "", ["77", "78", "CLUSTER:"]
    )
    assert statuses["77"].state == JobState.RUNNING
    assert statuses["78"].state == JobState.PENDING
    assert statuses["CLUSTER:"].state == JobState.MISSING


def test_empty_listing_means_every_id_is_missing() -> None:
    statuses = SLURM.parse_status_output(0, "", "", ["1", "2"])
    assert [s.state for s in statuses.values()] == [JobState.MISSING, JobState.MISSING]


def test_invalid_job_id_error_means_missing_not_failure() -> None:
    statuses = SLURM.parse_status_output(1, "", data("squeue_invalid_job_id.stderr"), ["4242"])
    assert statuses["4242"].state == JobState.MISSING


def test_squeue_failure_raises_with_its_output() -> None:
    stderr = data("squeue_controller_down.stderr")
    with pytest.raises(ProviderError) as info:
        SLURM.parse_status_output(1, "", stderr, ["4242"])
    assert info.value.stderr == stderr
    assert "squeue failed with exit code 1" in str(info.value)
    assert "Unable to contact slurm controller" in str(info.value)


def test_unknown_code_is_unknown_state() -> None:
    status = slurm_state_to_status("ZZ")
    assert status.state == JobState.UNKNOWN
    assert not status.terminal


# -- scancel -----------------------------------------------------------------


def test_scancel_success() -> None:
    assert SLURM.parse_cancel_output(0, "", "", ["1", "2"]) == [True, True]


@pytest.mark.parametrize("returncode", [0, 1])
def test_scancel_names_the_jobs_it_could_not_cancel(returncode: int) -> None:
    stderr = data("scancel_already_completed.stderr") + data("scancel_invalid_job_id.stderr")
    result = SLURM.parse_cancel_output(returncode, "", stderr, ["4242", "4300", "999"])
    assert result == [False, True, False]


def test_scancel_failure_naming_no_job_raises() -> None:
    stderr = data("scancel_controller_down.stderr")
    with pytest.raises(ProviderError) as info:
        SLURM.parse_cancel_output(1, "", stderr, ["4242"])
    assert info.value.stderr == stderr
    assert "scancel failed with exit code 1" in str(info.value)


def test_scancel_error_about_another_job_does_not_count() -> None:
    stderr = data("scancel_invalid_job_id.stderr")  # names 999
    with pytest.raises(ProviderError):
        SLURM.parse_cancel_output(1, "", stderr, ["4242"])


# -- commands ----------------------------------------------------------------


def test_commands_without_clusters() -> None:
    assert SLURM.submit_command("/s/b.submit") == ["sbatch", "/s/b.submit"]
    assert SLURM.status_command(["1", "2"]) == [
        "squeue",
        "--noheader",
        "--format=%i %t",
        "--states=all",
        "--job=1,2",
    ]
    assert SLURM.cancel_command(["1", "2"]) == ["scancel", "1", "2"]


def test_commands_with_clusters() -> None:
    scheduler = SlurmScheduler(clusters="gpu,cpu")
    assert scheduler.submit_command("/b") == ["sbatch", "--clusters=gpu,cpu", "/b"]
    assert scheduler.status_command(["7"]) == [
        "squeue",
        "--noheader",
        "--format=%i %t",
        "--states=all",
        "--clusters=gpu,cpu",
        "--job=7",
    ]
    assert scheduler.cancel_command(["7"]) == ["scancel", "--clusters=gpu,cpu", "7"]

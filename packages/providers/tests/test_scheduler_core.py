"""The scheduler-independent pure functions: status reconciliation, walltimes, directive lines."""

from __future__ import annotations

import dataclasses

import pytest

from parsl.jobs.states import TERMINAL_STATES, JobState, JobStatus
from parsl.providers.cluster.arguments import is_plausible_job_id
from parsl.providers.cluster.scheduler import (
    VANISHED_MESSAGE,
    BatchScheduler,
    SubmitContext,
    directive_lines,
    reconcile_status,
)

MISSING = JobStatus(JobState.MISSING, message="not listed")
ACTIVE_STATES = [s for s in JobState if s not in TERMINAL_STATES]


@pytest.mark.parametrize("state", [s for s in JobState if s != JobState.MISSING])
def test_a_listed_job_takes_the_schedulers_word(state: JobState) -> None:
    reported = JobStatus(state, message="said so")
    for previous in (None, JobStatus(JobState.RUNNING), JobStatus(JobState.COMPLETED)):
        assert reconcile_status(previous, reported) is reported


def test_a_job_never_known_stays_missing() -> None:
    assert reconcile_status(None, MISSING) is MISSING


@pytest.mark.parametrize("state", sorted(TERMINAL_STATES))
def test_a_finished_job_keeps_its_final_status_when_it_vanishes(state: JobState) -> None:
    previous = JobStatus(state, message="final", exit_code=3)
    assert reconcile_status(previous, MISSING) is previous


@pytest.mark.parametrize("state", ACTIVE_STATES)
def test_a_job_seen_active_that_vanishes_is_completed_with_unknown_exit(state: JobState) -> None:
    result = reconcile_status(JobStatus(state), MISSING)
    assert result.state == JobState.COMPLETED
    assert result.exit_code is None
    assert result.message == VANISHED_MESSAGE


def test_directive_lines() -> None:
    rendered = directive_lines(
        "#PBS", [("-q", "debug"), ("-A", None), ("-V", True), ("-W", False), ("-l", 3)]
    )
    assert rendered == "#PBS -q=debug\n#PBS -V\n#PBS -l=3\n"
    assert directive_lines("#PBS", [("-A", None)]) == ""


def test_submit_context_is_frozen_and_defaults_options() -> None:
    ctx = SubmitContext("n", 1, 1, "00:01:00", "", "", "true", "/o", "/e")
    assert dict(ctx.options) == {}
    with pytest.raises(dataclasses.FrozenInstanceError):
        ctx.job_name = "other"  # type: ignore[misc]


def test_batch_scheduler_needs_every_pair() -> None:
    class HalfScheduler(BatchScheduler):
        def submit_command(self, script_path: str) -> list[str]:
            return ["true"]

    with pytest.raises(TypeError, match="abstract"):
        HalfScheduler()  # type: ignore[abstract]


@pytest.mark.parametrize(
    ("job_id", "ok"),
    [
        ("4242", True),
        ("4243_1", True),
        ("12.pbs01", True),
        ("1@a:b+c", True),
        ("", False),
        ("4 2", False),
        ("1;rm", False),
    ],
)
def test_plausible_job_ids(job_id: str, ok: bool) -> None:
    assert is_plausible_job_id(job_id) is ok

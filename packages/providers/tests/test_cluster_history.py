"""The shell's history hook: a job that leaves the queue is looked up once; without a record it waits out the grace."""

from __future__ import annotations

import time
from pathlib import Path
from typing import ClassVar

import pytest
from cluster_fakes import FakeBatchSystem, FakeScheduler, MakeProvider, wait_until

from parsl.jobs.states import JobState, JobStatus
from parsl.providers.cluster.scheduler import VANISHED_MESSAGE
from parsl.providers.errors import ProviderError

# Prints what the test put in the answer file, and logs each call.
HISTORY = """#!/bin/bash
echo "$1" >> @DIR@/history.calls
cat @DIR@/history.answer 2>/dev/null || true
"""


class HistoryScheduler(FakeScheduler):
    """FakeScheduler plus a history command that answers ``<word> [exit code]``."""

    history_grace_s: ClassVar[float] = 0.6

    def __init__(self, system: FakeBatchSystem) -> None:
        super().__init__(system)
        self.history_path = system.write_command(
            "fake-history", HISTORY.replace("@DIR@", str(system.state_dir.parent))
        )

    def history_command(self, job_id: str) -> list[str] | None:
        return [self.history_path, job_id]

    def parse_history_output(
        self, returncode: int, stdout: str, stderr: str, job_id: str
    ) -> JobStatus:
        if returncode != 0:
            raise ProviderError(self.name, "history failed", stdout, stderr)
        if not stdout.strip():
            return JobStatus(JobState.MISSING)
        word, *code = stdout.split()
        state = {"DONE": JobState.COMPLETED, "FAILED": JobState.FAILED}[word]
        return JobStatus(state, message=f"history: {word}", exit_code=int(code[0]) if code else 0)


@pytest.fixture
def scheduler(fake_system: FakeBatchSystem) -> HistoryScheduler:
    return HistoryScheduler(fake_system)


def finish_and_forget(system: FakeBatchSystem, job_id: str) -> None:
    wait_until((system.state_dir / f"{job_id}.rc").exists, what="the job to end")
    system.forget(job_id)


def calls(system: FakeBatchSystem) -> list[str]:
    path = system.state_dir.parent / "history.calls"
    return path.read_text().split() if path.exists() else []


def test_history_record_gives_the_final_state(
    make_provider: MakeProvider, fake_system: FakeBatchSystem, scheduler: HistoryScheduler
) -> None:
    provider = make_provider(scheduler)
    job_id = provider.submit("true", 1)
    finish_and_forget(fake_system, job_id)
    (fake_system.state_dir.parent / "history.answer").write_text("FAILED 7\n")
    status = provider.status([job_id])[0]
    assert (status.state, status.exit_code, status.message) == (
        JobState.FAILED,
        7,
        "history: FAILED",
    )
    # Final: neither the queue nor the history is asked again.
    assert provider.status([job_id])[0].state == JobState.FAILED
    assert calls(fake_system) == [job_id]


def test_no_record_keeps_the_last_state_until_the_grace_ends(
    make_provider: MakeProvider, fake_system: FakeBatchSystem, scheduler: HistoryScheduler
) -> None:
    provider = make_provider(scheduler)
    job_id = provider.submit("true", 1)
    finish_and_forget(fake_system, job_id)
    assert provider.status([job_id])[0].state == JobState.PENDING  # as last known
    time.sleep(HistoryScheduler.history_grace_s + 0.1)
    status = provider.status([job_id])[0]
    assert (status.state, status.message) == (JobState.COMPLETED, VANISHED_MESSAGE)
    assert calls(fake_system) == [job_id, job_id]


def test_record_arriving_within_the_grace_is_used(
    make_provider: MakeProvider, fake_system: FakeBatchSystem, scheduler: HistoryScheduler
) -> None:
    provider = make_provider(scheduler)
    job_id = provider.submit("true", 1)
    finish_and_forget(fake_system, job_id)
    assert provider.status([job_id])[0].state == JobState.PENDING
    (fake_system.state_dir.parent / "history.answer").write_text("DONE\n")
    status = provider.status([job_id])[0]
    assert (status.state, status.exit_code) == (JobState.COMPLETED, 0)


def test_jobs_never_seen_are_not_looked_up(
    make_provider: MakeProvider, fake_system: FakeBatchSystem, scheduler: HistoryScheduler
) -> None:
    provider = make_provider(scheduler)
    assert provider.status(["424242"])[0].state == JobState.MISSING
    assert calls(fake_system) == []


def test_failing_history_command_raises_with_its_output(
    make_provider: MakeProvider, fake_system: FakeBatchSystem, scheduler: HistoryScheduler
) -> None:
    fake_system.write_command(
        "fake-history", "#!/bin/bash\necho 'accounting unreadable' >&2\nexit 2\n"
    )
    provider = make_provider(scheduler)
    job_id = provider.submit("true", 1)
    finish_and_forget(fake_system, job_id)
    with pytest.raises(ProviderError, match="accounting unreadable"):
        provider.status([job_id])


def test_scheduler_without_history_has_none(tmp_path: Path, fake_system: FakeBatchSystem) -> None:
    plain = FakeScheduler(fake_system)
    assert plain.history_command("1") is None
    with pytest.raises(NotImplementedError):
        plain.parse_history_output(0, "", "", "1")


def test_history_command_that_cannot_run_leaves_the_queues_reading(
    make_provider: MakeProvider, fake_system: FakeBatchSystem, scheduler: HistoryScheduler
) -> None:
    # e.g. no sacct on this login node, or one that hangs past cmd_timeout: never an error
    scheduler.history_path = str(fake_system.state_dir.parent / "no-such-history-tool")
    provider = make_provider(scheduler)
    job_id = provider.submit("true", 1)
    finish_and_forget(fake_system, job_id)
    time.sleep(HistoryScheduler.history_grace_s + 0.1)
    status = provider.status([job_id])[0]
    assert (status.state, status.message) == (JobState.COMPLETED, VANISHED_MESSAGE)

"""When htex gives up on failing blocks: the rule alone (pure), then the executor acting on it.

:class:`FailureRule` is the one statement of the rule; the first tests feed
it block histories without processes. The last ones start a real executor
(interchange process) over a provider that refuses or records submissions,
to show the executor and its :class:`BlockPool` apply that rule.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from pathlib import Path
from typing import Any

import htex_tasks
import pytest

from parsl.executors import HighThroughputExecutor
from parsl.executors.errors import ScalingFailed
from parsl.executors.high_throughput.block_failures import (
    MAX_FAILED_BLOCKS,
    FailureRule,
    describe_failure,
)
from parsl.executors.high_throughput.block_monitor import BlockMonitor
from parsl.executors.high_throughput.errors import BlocksFailed
from parsl.jobs.error_handlers import noop_error_handler, windowed_error_handler
from parsl.jobs.errors import TooManyJobFailuresError
from parsl.jobs.poller import ScalableExecutor
from parsl.jobs.states import JobState, JobStatus
from parsl.providers.base import ExecutionProvider

MakeHtex = Callable[..., HighThroughputExecutor]

RUNNING = JobStatus(JobState.RUNNING)


def failed(stdout_path: str | None = None, stderr_path: str | None = None) -> JobStatus:
    return JobStatus(
        JobState.FAILED,
        message="exit 1",
        exit_code=1,
        stdout_path=stdout_path,
        stderr_path=stderr_path,
    )


def seen(*blocks: str) -> Callable[[], Collection[str]]:
    return lambda: set(blocks)


# ------------------------------------------------------------ the rule, pure


def test_failures_are_tolerated_while_a_block_lives() -> None:
    rule = FailureRule()
    assert rule.polled({}, seen()) is None
    assert rule.polled({"0": RUNNING}, seen()) is None
    assert rule.polled({"0": failed(), "1": RUNNING}, seen()) is None
    many = {str(i): failed() for i in range(10)} | {"10": RUNNING}
    assert rule.polled(many, seen()) is None


def test_failures_of_blocks_whose_managers_registered_are_tolerated_below_the_limit() -> None:
    rule = FailureRule()
    assert rule.polled({"0": failed()}, seen("0")) is None
    assert rule.polled({"0": failed(), "1": failed()}, seen("0", "1")) is None


def test_a_block_failing_before_any_manager_registered_is_fatal_once_all_failed(
    tmp_path: Path,
) -> None:
    (tmp_path / "out").write_text("out-text\n")
    (tmp_path / "err").write_text("err-text\n")
    rule = FailureRule()
    reason = rule.polled({"0": failed(str(tmp_path / "out"), str(tmp_path / "err"))}, seen())
    assert reason is not None
    assert "1 of 1 blocks failed" in reason and "exit code 1" in reason
    assert "out-text" in reason and "err-text" in reason
    assert rule.polled({"0": failed(), "1": failed()}, seen("0")) is not None


def test_the_limit_of_failed_blocks_is_fatal_even_after_registering() -> None:
    rule = FailureRule()
    all_failed = {str(i): failed() for i in range(MAX_FAILED_BLOCKS)}
    reason = rule.polled(all_failed, seen(*all_failed))
    assert reason is not None and f"{MAX_FAILED_BLOCKS} of {MAX_FAILED_BLOCKS}" in reason
    assert "last block 2:" in reason


def test_registered_blocks_are_asked_only_when_every_block_failed() -> None:
    asked: list[int] = []

    def registered() -> Collection[str]:
        asked.append(1)
        return {"0", "1"}

    rule = FailureRule()
    rule.polled({"0": failed(), "1": RUNNING}, registered)
    rule.polled({str(i): failed() for i in range(MAX_FAILED_BLOCKS)}, registered)
    assert asked == []
    rule.polled({"0": failed(), "1": failed()}, registered)
    assert asked == [1]


@pytest.mark.parametrize("state", [JobState.COMPLETED, JobState.MISSING, JobState.TIMEOUT])
def test_a_block_that_ends_quietly_without_registering_is_a_start_up_failure(
    state: JobState,
) -> None:
    # e.g. a worker_init that exits 0: the block completes and no worker ever ran
    rule = FailureRule()
    reason = rule.polled({"0": JobStatus(state, exit_code=0)}, seen())
    assert reason is not None
    assert "1 of 1 blocks failed or ended before any of their managers registered" in reason
    assert "(exit code 0)" in reason
    assert rule.polled({"0": JobStatus(state)}, seen("0")) is None  # it worked, then ended


def test_the_latest_blocks_are_judged_back_to_a_cancelled_or_working_one() -> None:
    rule = FailureRule()
    cancelled, done = JobStatus(JobState.CANCELLED), JobStatus(JobState.COMPLETED)
    # Scaled in, then a new block fails at start-up: judged (the cancelled one hid it before).
    assert rule.polled({"0": cancelled, "1": failed()}, seen()) is not None
    # Worked and ended (walltime), then two failures of registered blocks: below the limit.
    assert rule.polled({"0": done, "1": failed(), "2": failed()}, seen("0", "1", "2")) is None
    # ... and the limit in a row is fatal; block order is numeric ("10" after "9").
    statuses = {"0": done} | {str(i): failed() for i in (8, 9, 10)}
    reason = rule.polled(statuses, seen(*statuses))
    assert reason is not None and "3 of 4 blocks failed; last block 10:" in reason
    # Nothing is judged while any block lives, nor after only cancellations.
    assert rule.polled({"0": failed(), "1": JobStatus(JobState.PENDING)}, seen()) is None
    assert rule.polled({"0": failed(), "1": cancelled}, seen()) is None


def test_refusals_in_a_row_up_to_the_limit_are_fatal() -> None:
    rule = FailureRule()
    for i in range(MAX_FAILED_BLOCKS - 1):
        assert rule.refused(str(i), "sbatch: error: QOS") is None
    reason = rule.refused("7", "sbatch: error: QOS")
    assert reason == (
        f"{MAX_FAILED_BLOCKS} block submissions failed in a row; last, block 7: sbatch: error: QOS"
    )


def test_an_accepted_submission_starts_the_refusals_again() -> None:
    rule = FailureRule()
    for i in range(MAX_FAILED_BLOCKS - 1):
        assert rule.refused(str(i), "refused") is None
    rule.submitted()
    assert rule.refused_in_a_row == 0
    for i in range(MAX_FAILED_BLOCKS - 1):
        assert rule.refused(str(i), "refused") is None
    assert rule.refused("x", "refused") is not None


def test_a_limit_of_one_gives_up_at_the_first_failure() -> None:
    rule = FailureRule(limit=1)
    assert rule.polled({"0": failed()}, seen("0")) is not None
    assert rule.refused("0", "no") is not None


@pytest.mark.parametrize("limit", [0, -1, True, 2.0, "3"])
def test_a_bad_limit_is_a_clear_error(limit: Any) -> None:
    with pytest.raises(ValueError, match="limit="):
        FailureRule(limit=limit)


def test_a_failure_description_names_empty_output() -> None:
    text = describe_failure("4", JobStatus(JobState.FAILED))
    assert text == "block 4: FAILED (exit code None); stdout: (empty); stderr: (empty)"


# ------------------------------------------------------------ the executor acting on it


class RefusingScheduler(ExecutionProvider):
    """A scheduler on paper that refuses submissions while ``refuse`` is set."""

    def __init__(self) -> None:
        self.init_blocks = 0
        self.max_blocks = 10
        self.refuse = True
        self.jobs: dict[str, JobState] = {}

    @property
    def status_polling_interval(self) -> float:
        return 600.0  # keeps the executor's own monitor thread quiet

    def submit(self, command: str, tasks_per_node: int, job_name: str = "parsl.block") -> Any:
        if self.refuse:
            raise RuntimeError("sbatch: error: QOSMaxSubmitJobPerUserLimit")
        job_id = f"job-{len(self.jobs)}"
        self.jobs[job_id] = JobState.PENDING
        return job_id

    def status(self, job_ids: list[Any]) -> list[JobStatus]:
        return [JobStatus(self.jobs[j]) for j in job_ids]

    def cancel(self, job_ids: list[Any]) -> list[bool]:
        for j in job_ids:
            self.jobs[j] = JobState.CANCELLED
        return [True for _ in job_ids]


@pytest.mark.timeout(60)
def test_refused_submissions_up_to_the_limit_fail_the_executor(make_htex: MakeHtex) -> None:
    htex = make_htex(provider=RefusingScheduler())
    waiting = htex.submit(htex_tasks.add, {}, 1, 1)
    flag = htex._executor_bad_state  # Parsl's Event, read by code written for Parsl
    for _ in range(MAX_FAILED_BLOCKS - 1):
        with pytest.raises(ScalingFailed, match="QOSMaxSubmitJobPerUserLimit"):
            htex.scale_out(1)
        assert not htex.bad_state_is_set and not flag.is_set()
    with pytest.raises(ScalingFailed):
        htex.scale_out(1)
    assert htex.bad_state_is_set
    assert flag.wait(5) and htex._executor_bad_state is flag
    with pytest.raises(BlocksFailed, match=f"{MAX_FAILED_BLOCKS} block submissions failed") as info:
        waiting.result(timeout=10)
    assert isinstance(info.value, TooManyJobFailuresError)  # Parsl's name for it
    assert htex.blocks == {}  # a refusal never became a job


@pytest.mark.timeout(60)
def test_refusals_do_not_fail_an_executor_without_a_block_error_handler(
    make_htex: MakeHtex,
) -> None:
    provider = RefusingScheduler()
    htex = make_htex(provider=provider, block_error_handler=False)
    for _ in range(MAX_FAILED_BLOCKS + 1):
        with pytest.raises(ScalingFailed):
            htex.scale_out(1)
    assert not htex.bad_state_is_set
    provider.refuse = False
    assert htex.scale_out(1) == [str(MAX_FAILED_BLOCKS + 1)]
    assert htex.blocks == {str(MAX_FAILED_BLOCKS + 1): "job-0"}


@pytest.mark.timeout(60)
def test_a_callable_handler_gets_the_executor_and_the_polled_states(make_htex: MakeHtex) -> None:
    provider = RefusingScheduler()
    provider.refuse = False
    calls: list[tuple[Any, dict[str, JobStatus]]] = []
    htex = make_htex(provider=provider, block_error_handler=lambda ex, st: calls.append((ex, st)))
    htex.scale_out(2)
    provider.jobs["job-1"] = JobState.FAILED
    BlockMonitor(htex._blocks).poll_once()
    ((executor, statuses),) = calls
    assert executor is htex
    assert {b: s.state for b, s in statuses.items()} == {
        "0": JobState.PENDING,
        "1": JobState.FAILED,
    }
    assert not htex.bad_state_is_set


def test_the_executor_delegates_its_block_surface_to_its_pool() -> None:
    provider = RefusingScheduler()
    htex = HighThroughputExecutor(provider=provider)
    pool = htex._blocks
    assert htex.provider is pool.provider is provider
    assert isinstance(htex, ScalableExecutor)
    assert htex.block_error_handler is True
    htex.block_error_handler = False
    assert htex.block_error_handler is pool.error_handler is noop_error_handler  # as Parsl keeps it
    replacement = RefusingScheduler()
    htex.provider = replacement
    assert pool.provider is replacement
    assert htex.blocks == htex.blocks_to_job_id == htex.job_ids_to_block == {}
    assert htex.status() == {} and htex.scale_in(1) == []
    with pytest.raises(ScalingFailed, match="not running"):
        htex.scale_out(1)


@pytest.mark.timeout(60)
def test_parsls_error_handlers_fail_htex_with_their_exception(make_htex: MakeHtex) -> None:
    # Handlers written for Parsl (the kernel's simple_error_handler is one) pass the exception
    # itself to set_bad_state_and_fail_all; a waiting task must fail with it, not wait forever.
    from parsl.jobs.error_handlers import BlockFailuresError, simple_error_handler

    provider = RefusingScheduler()
    provider.refuse = False
    provider.init_blocks = 2  # htex starts them itself
    htex = make_htex(provider=provider, block_error_handler=simple_error_handler)
    waiting = htex.submit(htex_tasks.add, {}, 1, 1)
    assert len(provider.jobs) == 2
    for job in provider.jobs:
        provider.jobs[job] = JobState.FAILED
    BlockMonitor(htex._blocks).poll_once()
    assert htex.bad_state_is_set
    with pytest.raises(BlockFailuresError, match="2 block\\(s\\) failed") as info:
        waiting.result(timeout=10)
    assert isinstance(info.value, TooManyJobFailuresError)
    with pytest.raises(BlockFailuresError):  # and every later task too
        htex.submit(htex_tasks.add, {}, 2, 2).result(timeout=10)


@pytest.mark.timeout(60)
def test_set_bad_state_takes_an_exception_or_a_factory_and_refuses_anything_else(
    make_htex: MakeHtex,
) -> None:
    provider = RefusingScheduler()
    htex = make_htex(provider=provider, block_error_handler=False)
    with pytest.raises(TypeError, match="expected an exception"):
        htex.set_bad_state_and_fail_all("broken")  # type: ignore[arg-type]
    assert not htex.bad_state_is_set
    htex.set_bad_state_and_fail_all(RuntimeError("the site is down"))
    with pytest.raises(RuntimeError, match="the site is down"):
        htex.submit(htex_tasks.add, {}, 1, 1).result(timeout=10)


def test_handle_errors_applies_the_handler_to_polled_states() -> None:
    """Parsl's executor.handle_errors(statuses): the hook its error-handler tests drive."""
    failed = {b: JobStatus(JobState.FAILED) for b in ("1", "2", "3")}
    seen: list[object] = []
    htex = HighThroughputExecutor(block_error_handler=lambda ex, st: seen.append((ex, st)))
    htex.handle_errors(failed)
    assert seen == [(htex, failed)]
    # Parsl's handlers call executor.set_bad_state_and_fail_all: windowed gives up on 3 of 3
    calls: list[BaseException] = []
    windowed = HighThroughputExecutor(block_error_handler=windowed_error_handler)
    windowed.set_bad_state_and_fail_all = calls.append  # type: ignore[method-assign,assignment]
    windowed.handle_errors({"1": JobStatus(JobState.FAILED), "2": JobStatus(JobState.RUNNING)})
    assert calls == []
    windowed.handle_errors(failed)
    assert len(calls) == 1
    quiet = HighThroughputExecutor(block_error_handler=False)
    quiet.set_bad_state_and_fail_all = calls.append  # type: ignore[method-assign,assignment]
    quiet.handle_errors(failed)
    assert len(calls) == 1  # False: never gives up


@pytest.mark.timeout(90)
def test_blocks_whose_worker_init_exits_0_fail_the_tasks_instead_of_restarting_for_ever(
    make_htex: MakeHtex,
) -> None:
    # Parsl's test_disconnected_blocks: no worker ever starts, the block script ends with 0.
    from parsl.providers import LocalProvider

    provider = LocalProvider(init_blocks=1, max_blocks=1, worker_init="exit 0")
    htex = make_htex(provider=provider)
    fut = htex.submit(htex_tasks.add, {}, 1, 1)
    with pytest.raises(BlocksFailed, match="ended before any of their managers registered") as info:
        fut.result(timeout=60)
    assert "exit code 0" in str(info.value)
    assert htex.bad_state_is_set


class QuickPolls(RefusingScheduler):
    @property
    def status_polling_interval(self) -> float:
        return 0.05


@pytest.mark.timeout(60)
def test_the_block_monitor_thread_judges_through_an_overridden_handle_errors(
    run_dir: str,
) -> None:
    # Parsl calls executor.handle_errors(status) after each poll; a subclass overriding it
    # (to log, or to apply a site's own rule) must be called by htex's own monitor thread.
    import threading

    seen_states: list[dict[str, JobState]] = []
    called = threading.Event()

    class Watching(HighThroughputExecutor):
        def handle_errors(self, status: dict[str, JobStatus]) -> None:
            seen_states.append({b: s.state for b, s in status.items()})
            called.set()

    provider = QuickPolls()
    provider.refuse = False
    htex = Watching(label="watching", provider=provider, block_error_handler=True)
    htex.run_dir = run_dir
    htex.start()
    try:
        htex.scale_out(1)
        provider.jobs["job-0"] = JobState.FAILED
        assert called.wait(timeout=20), "the monitor thread never called handle_errors"
    finally:
        htex.shutdown()
    assert {"0": JobState.FAILED} in seen_states
    assert not htex.bad_state_is_set  # the override replaced the default rule

"""htex.status() shares one provider poll per status_polling_interval between its readers.

The block monitor thread and the kernel's strategy pass both read
``status()``; for a batch scheduler each provider poll is a ``squeue`` or the
like, so they must share one. The providers here are small real
ExecutionProvider subclasses that count their ``status`` calls.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import pytest

from parsl.executors import HighThroughputExecutor
from parsl.executors.high_throughput.block_monitor import BlockMonitor
from parsl.jobs.poller import snapshot
from parsl.jobs.states import JobState, JobStatus
from parsl.providers import LocalProvider
from parsl.providers.base import ExecutionProvider

MakeHtex = Callable[..., HighThroughputExecutor]

# The block monitor reads the interval once, when the executor starts: starting
# with a long one keeps its thread from polling while a test counts polls.
QUIET_MONITOR = 600.0


class PaperScheduler(ExecutionProvider):
    """A scheduler on paper: jobs are records, and ``status`` counts how often it is asked.

    ``lag_cancels`` makes a cancel accepted but still reported by ``status``
    until :meth:`set_state` says otherwise, as a batch scheduler does for a
    while after ``scancel``. ``refuse_cancels`` makes every cancel refused.
    """

    def __init__(self, interval: float = QUIET_MONITOR) -> None:
        self.init_blocks = 0
        self.max_blocks = 10
        self.interval = interval
        self.status_calls = 0
        self.states: dict[str, JobState] = {}
        self.cancelled: list[str] = []
        self.lag_cancels = False
        self.refuse_cancels = False
        self.fail_status = False
        self.gate = threading.Event()
        self.gate.set()
        self._lock = threading.Lock()

    @property
    def status_polling_interval(self) -> float:
        return self.interval

    def submit(self, command: str, tasks_per_node: int, job_name: str = "parsl.block") -> Any:
        with self._lock:
            job_id = f"job-{len(self.states)}"
            self.states[job_id] = JobState.PENDING
        return job_id

    def status(self, job_ids: list[Any]) -> list[JobStatus]:
        with self._lock:
            self.status_calls += 1
        assert self.gate.wait(10), "test never opened the gate"
        if self.fail_status:
            raise RuntimeError("squeue: socket timed out")
        with self._lock:
            return [JobStatus(self.states[j]) for j in job_ids]

    def cancel(self, job_ids: list[Any]) -> list[bool]:
        if self.refuse_cancels:
            return [False for _ in job_ids]
        with self._lock:
            self.cancelled.extend(job_ids)
            if not self.lag_cancels:
                for j in job_ids:
                    self.states[j] = JobState.CANCELLED
        return [True for _ in job_ids]

    def set_state(self, job_id: str, state: JobState) -> None:
        with self._lock:
            self.states[job_id] = state


def states(htex: HighThroughputExecutor) -> dict[str, JobState]:
    return {b: s.state for b, s in htex.status().items()}


def test_the_monitor_and_the_strategy_share_one_poll_within_the_interval(
    make_htex: MakeHtex,
) -> None:
    provider = PaperScheduler()
    htex = make_htex(provider=provider)
    htex.scale_out(2)
    before = provider.status_calls
    BlockMonitor(htex._blocks).poll_once()  # what the block monitor thread does
    shot = snapshot(htex, time.monotonic())  # what the strategy pass does
    assert states(htex) == {"0": JobState.PENDING, "1": JobState.PENDING}
    assert provider.status_calls == before + 1
    assert shot.active_blocks == 2


def test_readers_arriving_during_a_poll_wait_for_it_and_share_its_result(
    make_htex: MakeHtex,
) -> None:
    provider = PaperScheduler()
    htex = make_htex(provider=provider)
    htex.scale_out(1)
    provider.gate.clear()  # the next provider poll hangs until the gate opens
    before = provider.status_calls
    results: list[dict[str, JobState]] = []
    readers = [threading.Thread(target=lambda: results.append(states(htex))) for _ in range(3)]
    for reader in readers:
        reader.start()
    deadline = time.monotonic() + 10
    while provider.status_calls == before:
        assert time.monotonic() < deadline, "no reader polled the provider"
        time.sleep(0.01)
    time.sleep(0.3)  # the other readers are now waiting on that poll
    provider.gate.set()
    for reader in readers:
        reader.join(10)
    assert results == [{"0": JobState.PENDING}] * 3
    assert provider.status_calls == before + 1


def test_after_the_interval_the_provider_is_polled_again(make_htex: MakeHtex) -> None:
    provider = PaperScheduler()
    htex = make_htex(provider=provider)
    htex.scale_out(1)
    provider.interval = 0.5
    assert states(htex) == {"0": JobState.PENDING}
    polls = provider.status_calls
    provider.set_state("job-0", JobState.RUNNING)
    assert states(htex) == {"0": JobState.PENDING}  # within the interval: the last poll
    assert provider.status_calls == polls
    time.sleep(0.6)
    assert states(htex) == {"0": JobState.RUNNING}
    assert provider.status_calls == polls + 1


def test_a_block_just_submitted_shows_at_once(make_htex: MakeHtex) -> None:
    provider = PaperScheduler()
    htex = make_htex(provider=provider)
    htex.scale_out(1)
    assert states(htex) == {"0": JobState.PENDING}
    provider.set_state("job-0", JobState.RUNNING)
    assert htex.scale_out(1) == ["1"]
    assert states(htex) == {"0": JobState.RUNNING, "1": JobState.PENDING}


def test_a_block_just_scaled_in_shows_at_once_even_while_the_scheduler_lags(
    make_htex: MakeHtex,
) -> None:
    provider = PaperScheduler()
    provider.lag_cancels = True
    htex = make_htex(provider=provider)
    htex.scale_out(2)
    assert htex.scale_in(1) == ["1"]
    polls = provider.status_calls
    shown = htex.status()
    assert shown["1"].state == JobState.SCALED_IN and shown["1"].terminal
    assert shown["0"].state == JobState.PENDING
    assert provider.status_calls == polls
    # The scheduler still lists job-1, but it is not scaled in twice.
    assert htex.scale_in(1) == ["0"]
    assert provider.cancelled == ["job-1", "job-0"]
    assert snapshot(htex, time.monotonic()).active_blocks == 0


def test_the_schedulers_own_end_state_wins_over_scaled_in(make_htex: MakeHtex) -> None:
    provider = PaperScheduler()
    provider.lag_cancels = True
    htex = make_htex(provider=provider)
    htex.scale_out(1)
    htex.scale_in(1)
    provider.interval = 0.2
    provider.set_state("job-0", JobState.FAILED)
    time.sleep(0.3)
    assert states(htex) == {"0": JobState.FAILED}


def test_a_refused_cancel_leaves_the_block_as_the_scheduler_reports_it(
    make_htex: MakeHtex,
) -> None:
    provider = PaperScheduler()
    provider.refuse_cancels = True
    htex = make_htex(provider=provider)
    htex.scale_out(1)
    provider.set_state("job-0", JobState.RUNNING)
    assert htex.scale_in(1) == ["0"]
    assert states(htex) == {"0": JobState.RUNNING}


def test_a_failing_provider_poll_is_shared_too(make_htex: MakeHtex) -> None:
    provider = PaperScheduler()
    htex = make_htex(provider=provider)
    htex.scale_out(1)
    provider.fail_status = True
    polls = provider.status_calls
    first, second = htex.status(), htex.status()
    assert first["0"].state == second["0"].state == JobState.UNKNOWN
    assert "socket timed out" in (first["0"].message or "")
    assert provider.status_calls == polls + 1


class CountingLocalProvider(LocalProvider):
    """A LocalProvider that counts the status polls it answers."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.status_calls = 0

    def status(self, job_ids: list[Any]) -> list[JobStatus]:
        self.status_calls += 1
        return super().status(job_ids)


@pytest.mark.timeout(60)
def test_a_real_block_is_polled_once_per_interval_by_monitor_and_strategy(
    make_htex: MakeHtex,
) -> None:
    provider = CountingLocalProvider(init_blocks=1, max_blocks=1)  # polling interval: 1 s
    htex = make_htex(provider=provider)
    t0 = time.monotonic()
    before = provider.status_calls
    reads = 0
    while time.monotonic() - t0 < 3.0:  # a strategy reading every 0.1 s beside the monitor
        assert snapshot(htex, time.monotonic()).active_blocks == 1
        reads += 1
        time.sleep(0.1)
    polls = provider.status_calls - before
    assert reads >= 20
    assert 1 <= polls <= 5, f"{polls} provider polls for {reads} strategy reads in 3 s"

"""JobStatusPoller scaling real LocalProvider blocks of a block-managing executor."""

from __future__ import annotations

import threading
import time
from concurrent.futures import Future
from pathlib import Path
from typing import Any

import pytest

import parsl
from parsl.config import Config
from parsl.executors.base import ParslExecutor
from parsl.jobs.poller import JobStatusPoller, ScalableExecutor
from parsl.jobs.states import JobStatus
from parsl.launchers import SimpleLauncher
from parsl.providers import LocalProvider


class SleepBlockExecutor(ParslExecutor):
    """Blocks are real `sleep` processes from LocalProvider; `outstanding` is set by the test."""

    def __init__(self, provider: LocalProvider, label: str = "blocks") -> None:
        self.label = label
        self.provider = provider
        self.pending = 0
        self.blocks: dict[str, str] = {}
        self.fail_scale_out = False
        self.scale_calls: list[tuple[str, int]] = []

    def start(self) -> None:
        self.scale_out(self.provider.init_blocks)

    def submit(self, func: Any, spec: dict[str, Any], /, *a: Any, **k: Any) -> Future[Any]:
        raise NotImplementedError

    def shutdown(self) -> None:
        self.provider.cancel(list(self.blocks.values()))

    @property
    def outstanding(self) -> int:
        return self.pending

    @property
    def workers_per_node(self) -> int:
        return 2

    def status(self) -> dict[str, JobStatus]:
        ids = list(self.blocks)
        return dict(zip(ids, self.provider.status([self.blocks[b] for b in ids]), strict=True))

    def scale_out(self, blocks: int = 1) -> list[str]:
        self.scale_calls.append(("out", blocks))
        if self.fail_scale_out:
            raise OSError("provider down")
        new = []
        for _ in range(blocks):
            bid = str(len(self.blocks))
            self.blocks[bid] = self.provider.submit("sleep 300", 1)
            new.append(bid)
        return new

    def scale_in(self, blocks: int = 1, force: bool = False) -> list[str]:
        self.scale_calls.append(("in", blocks))
        live = [b for b, s in self.status().items() if not s.terminal][:blocks]
        self.provider.cancel([self.blocks[b] for b in live])
        return live


def active(ex: SleepBlockExecutor) -> int:
    return sum(1 for s in ex.status().values() if not s.terminal)


@pytest.fixture
def executor(tmp_path: Path) -> Any:
    provider = LocalProvider(init_blocks=0, min_blocks=0, max_blocks=3, launcher=SimpleLauncher())
    provider.script_dir = str(tmp_path)
    ex = SleepBlockExecutor(provider)
    yield ex
    ex.shutdown()


def test_protocol_recognises_scalable_executors(executor: SleepBlockExecutor) -> None:
    from parsl.executors import ThreadPoolExecutor

    assert isinstance(executor, ScalableExecutor)
    assert not isinstance(ThreadPoolExecutor(), ScalableExecutor)
    assert JobStatusPoller([ThreadPoolExecutor()], "simple", 1, 1).executors == []


@pytest.mark.timeout(60)
def test_scale_out_to_max_under_backlog_then_in_after_idletime(
    executor: SleepBlockExecutor,
) -> None:
    poller = JobStatusPoller([executor], "simple", period=1, max_idletime=5)
    executor.pending = 100
    poller.poll_once(now=0)
    assert active(executor) == 3  # ceil(100 / 2) capped by max_blocks
    poller.poll_once(now=1)
    assert active(executor) == 3 and executor.scale_calls == [("out", 3)]
    executor.pending = 0
    poller.poll_once(now=2)
    assert active(executor) == 3
    poller.poll_once(now=7)
    deadline = time.monotonic() + 10
    while active(executor) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert active(executor) == 0


@pytest.mark.timeout(60)
def test_failing_scale_out_is_logged_not_raised(
    executor: SleepBlockExecutor, caplog: pytest.LogCaptureFixture
) -> None:
    executor.fail_scale_out = True
    executor.pending = 5
    JobStatusPoller([executor], "simple", 1, 5).poll_once(now=0)
    assert "strategy pass failed for executor blocks" in caplog.text


@pytest.mark.timeout(60)
def test_dfk_runs_the_poller_thread_and_stops_it(
    executor: SleepBlockExecutor, tmp_path: Path
) -> None:
    executor.pending = 3
    cfg = Config(
        executors=[executor],
        strategy="simple",
        strategy_period=0.2,
        max_idletime=60,
        run_dir=str(tmp_path / "runinfo"),
    )
    with parsl.load(cfg) as dfk:
        deadline = time.monotonic() + 10
        while active(executor) < 2 and time.monotonic() < deadline:
            time.sleep(0.1)
        assert active(executor) == 2
        thread = dfk.poller._thread
        assert thread is not None and thread.is_alive()
    assert not thread.is_alive()


def test_strategy_none_starts_no_thread(executor: SleepBlockExecutor) -> None:
    poller = JobStatusPoller([executor], "none", 1, 1)
    poller.start()
    assert poller._thread is None
    poller.close()


@pytest.mark.timeout(60)
def test_a_wrapped_callback_sees_each_strategy_pass(
    executor: SleepBlockExecutor, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Parsl's hook: replace ``dfk.job_status_poller.callback`` to observe (or wrap) the strategy."""
    executor.pending = 3
    cfg = Config(
        executors=[executor], strategy="simple", strategy_period=0.2, run_dir=str(tmp_path / "r")
    )
    with parsl.load(cfg) as dfk:
        poller = dfk.job_status_poller
        original = poller.callback
        passes = threading.Semaphore(0)
        calls: list[int] = []

        def hooked() -> None:
            calls.append(len(calls))
            if len(calls) == 1:
                raise RuntimeError("a hook that fails once")
            original()
            passes.release()

        poller.callback = hooked
        assert passes.acquire(timeout=10)  # it ran again after the failure, and the pass with it
        assert active(executor) == 2 and len(calls) >= 2
        assert "strategy period failed" in caplog.text
        poller.make_callback()  # Parsl's name: one pass now
        assert passes.acquire(timeout=0)

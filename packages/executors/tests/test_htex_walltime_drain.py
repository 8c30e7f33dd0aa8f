"""Walltime-aware dispatch: a block whose scheduler enforces walltime stops taking tasks before its end."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

import parsl
from parsl.config import Config
from parsl.executors import HighThroughputExecutor
from parsl.launchers import SimpleLauncher
from parsl.providers import LocalProvider


class EnforcingLocalProvider(LocalProvider):
    """A local block treated as if a scheduler killed it at its walltime."""

    walltime_enforced = True


def test_drain_period_follows_enforced_walltime() -> None:
    enforced = EnforcingLocalProvider(launcher=SimpleLauncher())
    enforced.walltime = "01:00:00"
    assert HighThroughputExecutor(provider=enforced).effective_drain_period == 3240
    assert HighThroughputExecutor(provider=enforced, drain_period=5).effective_drain_period == 5
    plain = LocalProvider(launcher=SimpleLauncher())
    plain.walltime = "01:00:00"
    assert HighThroughputExecutor(provider=plain).effective_drain_period is None
    enforced.walltime = "not a walltime"
    assert HighThroughputExecutor(provider=enforced).effective_drain_period is None


@pytest.fixture
def htex(tmp_path: Path) -> Iterator[HighThroughputExecutor]:
    provider = EnforcingLocalProvider(init_blocks=1, max_blocks=1, launcher=SimpleLauncher())
    provider.walltime = "00:00:04"  # drains 2 s after the manager starts
    ex = HighThroughputExecutor(label="drain", max_workers_per_node=1, provider=provider)
    with parsl.load(Config(executors=[ex], strategy="none", run_dir=str(tmp_path / "runinfo"))):
        yield ex


@pytest.mark.timeout(60)
def test_manager_near_walltime_gets_no_new_tasks(htex: HighThroughputExecutor) -> None:
    @parsl.python_app
    def where() -> int:
        import os

        return os.getpid()

    first = where()
    first.result(timeout=30)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        managers = htex.connected_managers()
        if not managers or all(m.get("draining") for m in managers):
            break
        time.sleep(0.2)
    late = where()
    time.sleep(2)
    assert not late.done(), "a task was sent to a block past its drain point"

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cluster_fakes import FakeBatchSystem, FakeScheduler, MakeProvider
from parsl_written_provider import BackgroundBashProvider, MakeBashProvider, kill_blocks

from parsl.launchers import SimpleLauncher
from parsl.providers.cluster.shell import ClusterProvider


def reaped(pid: int) -> bool:
    """True when ``pid`` is no longer a child of this process, running or zombie: it was reaped."""
    try:
        os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        return True
    return False


@pytest.fixture
def fake_system(tmp_path: Path) -> Iterator[FakeBatchSystem]:
    """A fresh fake scheduler; every job it started is killed, by process group, afterwards."""
    system = FakeBatchSystem(tmp_path / "fake")
    try:
        yield system
    finally:
        system.kill_all()


@pytest.fixture
def make_provider(tmp_path: Path, fake_system: FakeBatchSystem) -> MakeProvider:
    """Build a ClusterProvider over FakeScheduler, writing scripts under tmp_path/scripts."""

    def make(scheduler: FakeScheduler | None = None, **kwargs: Any) -> ClusterProvider:
        kwargs.setdefault("launcher", SimpleLauncher())
        kwargs.setdefault("script_dir", str(tmp_path / "scripts"))
        return ClusterProvider(scheduler or FakeScheduler(fake_system), **kwargs)

    return make


@pytest.fixture
def make_bash_provider(tmp_path: Path) -> Iterator[MakeBashProvider]:
    """Build Parsl-written BackgroundBashProviders with script_dir tmp_path; kill their blocks after."""
    made: list[BackgroundBashProvider] = []

    def make(**kwargs: Any) -> BackgroundBashProvider:
        provider = BackgroundBashProvider(**kwargs)
        provider.script_dir = str(tmp_path)
        made.append(provider)
        return provider

    yield make
    for provider in made:
        kill_blocks(provider)

"""Executor names Parsl always exports import without their systems; a real registration wins."""

from __future__ import annotations

import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

import parsl.executors
from parsl import plugins
from parsl.errors import OptionalModuleMissing
from parsl.executors.base import ParslExecutor
from parsl.executors.unavailable import STAND_INS, UnavailableExecutor

WHAT_TO_INSTALL = {
    "WorkQueueExecutor": ("work_queue", "ndcctools"),
    "TaskVineExecutor": ("ndcctools.taskvine", "ndcctools"),
    "FluxExecutor": ("flux", "flux-core"),
    "RadicalPilotExecutor": ("radical.pilot", "radical.pilot"),
    "GlobusComputeExecutor": ("globus_compute_sdk", "globus-compute-sdk"),
}


def test_every_name_imports_at_module_level() -> None:
    from parsl.executors import (
        FluxExecutor,
        GlobusComputeExecutor,
        RadicalPilotExecutor,
        TaskVineExecutor,
        WorkQueueExecutor,
    )

    for cls in (
        WorkQueueExecutor,
        TaskVineExecutor,
        FluxExecutor,
        RadicalPilotExecutor,
        GlobusComputeExecutor,
    ):
        assert issubclass(cls, ParslExecutor)
    assert set(STAND_INS) == set(WHAT_TO_INSTALL)
    assert hasattr(parsl.executors, "WorkQueueExecutor")


@pytest.mark.parametrize("name", sorted(WHAT_TO_INSTALL))
def test_constructing_one_says_what_to_install(name: str) -> None:
    cls = getattr(parsl.executors, name)
    module, install = WHAT_TO_INSTALL[name]
    with pytest.raises(OptionalModuleMissing) as info:
        cls(label="x", provider=None)
    assert info.value.module_names == [module]
    assert name in str(info.value) and install in str(info.value)
    assert "'parsl.executors' entry-point group" in str(info.value)


def test_methods_of_a_stand_in_raise_too() -> None:
    stand_in = object.__new__(STAND_INS["FluxExecutor"])
    for call in (stand_in.start, stand_in.shutdown, lambda: stand_in.submit(print, {})):
        with pytest.raises(OptionalModuleMissing, match="Flux"):
            call()


@pytest.fixture
def installed_workqueue(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """A package on sys.path that registers a real WorkQueueExecutor, as parsl-workqueue would."""
    (tmp_path / "fake_wq_pkg.py").write_text(
        textwrap.dedent(
            """
            from parsl.executors.threads import ThreadPoolExecutor

            class WorkQueueExecutor(ThreadPoolExecutor):
                pass
            """
        )
    )
    info = tmp_path / "fake_wq_pkg-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: fake-wq-pkg\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text(
        "[parsl.executors]\nWorkQueueExecutor = fake_wq_pkg:WorkQueueExecutor\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    plugins.refresh()
    yield
    monkeypatch.undo()
    plugins.refresh()


def test_a_registered_class_wins_over_the_stand_in(installed_workqueue: None) -> None:
    from parsl.executors import WorkQueueExecutor

    assert not issubclass(WorkQueueExecutor, UnavailableExecutor)
    assert WorkQueueExecutor.__module__ == "fake_wq_pkg"
    executor = WorkQueueExecutor(label="wq")
    assert executor.label == "wq"

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
    assert set(STAND_INS) == set(WHAT_TO_INSTALL)
    registered = plugins.available("parsl.executors")
    for name, stand_in in STAND_INS.items():
        if name in registered:  # a package provides the real class: it answers instead
            continue
        namespace: dict[str, object] = {}
        exec(f"from parsl.executors import {name}", namespace)
        assert namespace[name] is stand_in
        assert issubclass(stand_in, ParslExecutor)
        assert hasattr(parsl.executors, name)


@pytest.mark.parametrize("name", sorted(WHAT_TO_INSTALL))
def test_constructing_one_says_what_to_install(name: str) -> None:
    cls = STAND_INS[name]
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


def _unregistered_name() -> str:
    """A stand-in name no installed package registers (the fake package below takes it)."""
    registered = plugins.available("parsl.executors")
    return next(n for n in sorted(STAND_INS, reverse=True) if n not in registered)


@pytest.fixture
def installed_plugin(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A package on sys.path that registers a real executor under a stand-in's name."""
    name = _unregistered_name()
    (tmp_path / "fake_exec_pkg.py").write_text(
        textwrap.dedent(
            f"""
            from parsl.executors.threads import ThreadPoolExecutor

            class {name}(ThreadPoolExecutor):
                pass
            """
        )
    )
    info = tmp_path / "fake_exec_pkg-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: fake-exec-pkg\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text(f"[parsl.executors]\n{name} = fake_exec_pkg:{name}\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    plugins.refresh()
    yield name
    monkeypatch.undo()
    plugins.refresh()


def test_a_registered_class_wins_over_the_stand_in(installed_plugin: str) -> None:
    namespace: dict[str, object] = {}
    exec(f"from parsl.executors import {installed_plugin}", namespace)
    cls = namespace[installed_plugin]
    assert isinstance(cls, type) and not issubclass(cls, UnavailableExecutor)
    assert cls.__module__ == "fake_exec_pkg"
    executor = cls(label="real")
    assert executor.label == "real"

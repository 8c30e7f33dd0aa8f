"""midas-parsl-configs (PyPI, requires parsl): a catalog of Parsl configurations, loaded here.

Its bundled configurations build ``Config``s from ``HighThroughputExecutor``,
``SlurmProvider``, ``PBSProProvider``, ``LocalProvider``, launchers and
``address_by_interface``; the local one runs a workflow. Installed with
``--no-deps`` beside ours by tools/setup-env.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

import parsl
from parsl import python_app
from parsl.config import Config
from parsl.executors import HighThroughputExecutor


@pytest.fixture
def midas(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[object]:
    monkeypatch.setenv("MIDAS_PARSL_CONFIGS_DIR", str(tmp_path / "user-configs"))
    monkeypatch.setenv("MIDAS_SCRIPT_DIR", str(tmp_path))
    monkeypatch.chdir(tmp_path)
    import midas_parsl_configs

    yield midas_parsl_configs


@python_app
def add(a: int, b: int) -> int:
    return a + b


@pytest.mark.timeout(60)
def test_local_config_runs_a_workflow(midas: object, tmp_path: Path) -> None:
    config = midas.load_config("local")  # type: ignore[attr-defined]
    assert isinstance(config, Config)
    config.run_dir = str(tmp_path / "runinfo")
    with parsl.load(config):
        assert add(add(1, 2), 3).result(timeout=30) == 6


@pytest.mark.parametrize("name", ["marquette", "purdue", "umich"])
def test_cluster_configs_build_on_our_executors_and_providers(midas: object, name: str) -> None:
    config = midas.load_config(name)  # type: ignore[attr-defined]
    assert isinstance(config, Config)
    [executor] = config.executors
    assert isinstance(executor, HighThroughputExecutor)
    assert executor.provider is not None
    assert type(executor.provider).__module__.startswith("parsl.providers")


def test_catalog_lists_bundled_configs(midas: object) -> None:
    names = midas.available_configs()  # type: ignore[attr-defined]
    assert {"local", "marquette", "purdue", "umich"} <= set(names)

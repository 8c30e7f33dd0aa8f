"""Parsl's ``parsl.configs.<name>`` modules: each imports and holds a Config; the local ones run tasks."""

from __future__ import annotations

import importlib
import os
import sys
from pathlib import Path

import pytest

import parsl
from parsl import python_app
from parsl.config import Config
from parsl.configs import get_entry, load_config
from parsl.configs.site_modules import (
    CATALOG_MODULES,
    CODE_MODULES,
    NOT_PROVIDED,
    from_catalog,
    placeholder_parameters,
)
from parsl.errors import ConfigurationError

ALL_MODULES = sorted([*CATALOG_MODULES, *CODE_MODULES])


@python_app
def where() -> int:
    import os

    return os.getpid()


@pytest.mark.parametrize("name", ALL_MODULES)
def test_each_module_imports_and_holds_a_config(name: str) -> None:
    module = importlib.import_module(f"parsl.configs.{name}")
    assert isinstance(module.config, Config)
    assert module.config.executors, name


@pytest.mark.parametrize(("name", "entry_name"), sorted(CATALOG_MODULES.items()))
def test_site_modules_are_built_from_their_catalog_entry(name: str, entry_name: str) -> None:
    module = importlib.import_module(f"parsl.configs.{name}")
    entry = get_entry(entry_name)
    (executor,) = module.config.executors
    assert type(executor).__name__ == entry.executor.type
    assert type(executor.provider).__name__ == entry.provider.type
    assert executor.label == entry.name.replace("-", "_")
    expected = load_config(entry_name, **placeholder_parameters(entry_name)).executors[0]
    assert repr(executor.provider) == repr(expected.provider)


def test_placeholders_and_overrides() -> None:
    params = placeholder_parameters("frontier")
    assert params["account"] == "YOUR_ACCOUNT"
    assert params["env_setup"] == "module load conda; conda activate parsl-env"
    real = from_catalog("frontier", account="abc123")
    assert real.executors[0].provider.account == "abc123"
    with pytest.raises(ConfigurationError, match="unknown parameter"):
        from_catalog("frontier", nonsense=1)


def test_modules_not_provided_are_documented_and_absent() -> None:
    for name in NOT_PROVIDED:
        assert name not in ALL_MODULES
        with pytest.raises(ModuleNotFoundError):
            importlib.import_module(f"parsl.configs.{name}")


def test_local_threads_runs_a_task(tmp_path: Path) -> None:
    from parsl.configs.local_threads import config

    config.run_dir = str(tmp_path)
    with parsl.load(config):
        assert where().result(timeout=30) == os.getpid()


@pytest.mark.timeout(90)
def test_htex_local_runs_a_task(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Worker processes import this module's app by name, as a user's script's would.
    here = os.path.dirname(os.path.abspath(__file__))
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([here, *sys.path]))
    from parsl.configs.htex_local import config

    config.run_dir = str(tmp_path)
    with parsl.load(config):
        pid = where().result(timeout=60)
    assert pid != os.getpid()

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


@pytest.mark.timeout(120)
@pytest.mark.parametrize("name", ["wqex_local", "vineex_local"])
def test_cctools_local_modules_run_a_task(
    name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from parsl.executors.cctools.processes import free_port

    here = os.path.dirname(os.path.abspath(__file__))
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([here, *sys.path]))
    module = importlib.import_module(f"parsl.configs.{name}")
    config = module.config
    (executor,) = config.executors
    # Parsl's labels and port; no project name, so nothing reports to cctools' public catalog.
    label = "parsl-wq-example" if name == "wqex_local" else "parsl-vine-example"
    assert executor.label == label
    settings = executor if name == "wqex_local" else executor.manager_config
    assert settings.port == 9123
    assert settings.project_name is None
    # On loopback, on a free port (9123 may be taken on a shared machine).
    settings.port = free_port()
    settings.address = "127.0.0.1"
    config.run_dir = str(tmp_path)
    with parsl.load(config):
        pid = where().result(timeout=90)
    assert pid != os.getpid()


@pytest.mark.parametrize("name", ["wqex_local", "vineex_local"])
def test_cctools_local_modules_without_their_package_say_what_to_install(
    name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from parsl import plugins
    from parsl.errors import OptionalModuleMissing

    # As on a machine where no package registers the executor: parsl.executors gives its stand-in.
    monkeypatch.setattr(plugins, "available", lambda group: [])
    monkeypatch.delitem(sys.modules, f"parsl.configs.{name}", raising=False)
    with pytest.raises(OptionalModuleMissing, match="Install a package that registers"):
        importlib.import_module(f"parsl.configs.{name}")

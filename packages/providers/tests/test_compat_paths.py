"""Parsl's older deep import paths give the very same provider classes as ``parsl.providers``."""

from __future__ import annotations

import importlib
import inspect
import subprocess
import sys

import pytest

import parsl.providers

# (older module path, class name, module that defines the class)
OLDER_PATHS = [
    ("parsl.providers.slurm.slurm", "SlurmProvider", "parsl.providers.cluster.slurm"),
    ("parsl.providers.pbspro.pbspro", "PBSProProvider", "parsl.providers.cluster.pbspro"),
    ("parsl.providers.torque.torque", "TorqueProvider", "parsl.providers.cluster.torque"),
    ("parsl.providers.lsf.lsf", "LSFProvider", "parsl.providers.cluster.lsf"),
    (
        "parsl.providers.grid_engine.grid_engine",
        "GridEngineProvider",
        "parsl.providers.cluster.gridengine",
    ),
    ("parsl.providers.condor.condor", "CondorProvider", "parsl.providers.cluster.condor"),
    (
        "parsl.providers.kubernetes.kube",
        "KubernetesProvider",
        "parsl.providers.kubernetes.provider",
    ),
]


PARSL_MODULE_NAMES = {
    "template_string",
    "translate_table",
    "sacct_translate_table",
    "squeue_translate_table",
}


@pytest.mark.parametrize(("module_path", "name", "home"), OLDER_PATHS)
def test_older_path_is_the_public_class(module_path: str, name: str, home: str) -> None:
    module = importlib.import_module(module_path)
    assert module.__all__[0] == name
    # besides the class, only Parsl's module-level names for code copied from Parsl's providers
    assert set(module.__all__[1:]) <= PARSL_MODULE_NAMES
    assert getattr(module, name) is getattr(parsl.providers, name)
    assert getattr(module, name).__module__ == home
    assert module.__doc__ is not None and "older import path" in module.__doc__


@pytest.mark.parametrize(("module_path", "name", "home"), OLDER_PATHS)
def test_older_path_defines_nothing_of_its_own(module_path: str, name: str, home: str) -> None:
    module = importlib.import_module(module_path)
    defined_here = [
        attr
        for attr, value in vars(module).items()
        if (inspect.isclass(value) or inspect.isfunction(value)) and value.__module__ == module_path
    ]
    assert defined_here == []


def test_slurm_and_grid_engine_code_is_not_duplicated() -> None:
    from parsl.providers.cluster.gridengine import GridEngineProvider, GridEngineScheduler
    from parsl.providers.cluster.slurm import SlurmProvider, SlurmScheduler
    from parsl.providers.grid_engine.grid_engine import GridEngineProvider as OlderGridEngine
    from parsl.providers.slurm.slurm import SlurmProvider as OlderSlurm

    assert OlderSlurm is SlurmProvider
    assert OlderGridEngine is GridEngineProvider
    # the classes still run the one scheduler implementation each
    assert isinstance(OlderSlurm().scheduler, SlurmScheduler)
    assert isinstance(OlderGridEngine().scheduler, GridEngineScheduler)


def test_older_paths_in_a_fresh_interpreter() -> None:
    lines = ["import parsl.providers"]
    for module_path, name, _ in OLDER_PATHS:
        lines.append(f"from {module_path} import {name}")
        lines.append(f"assert {name} is parsl.providers.{name}, {name!r}")
    lines.append("print('ok')")
    result = subprocess.run(
        [sys.executable, "-c", "\n".join(lines)],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"

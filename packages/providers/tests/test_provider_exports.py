"""The public names this distribution provides, and how they resolve."""

from __future__ import annotations

import subprocess
import sys

import parsl.providers
import parsl.providers.cluster
from parsl import plugins
from parsl.providers.base import ExecutionProvider
from parsl.providers.cluster.slurm import SlurmProvider


def test_slurm_provider_resolves_at_parsls_public_path() -> None:
    from parsl.providers import SlurmProvider as Public

    assert Public is SlurmProvider
    assert issubclass(Public, ExecutionProvider)
    assert "SlurmProvider" in plugins.available("parsl.providers")


def test_cluster_subpackage_surface() -> None:
    assert sorted(parsl.providers.cluster.__all__) == [
        "BatchScheduler",
        "ClusterProvider",
        "CommandResult",
        "CondorProvider",
        "CondorScheduler",
        "GridEngineProvider",
        "GridEngineScheduler",
        "LSFProvider",
        "LSFScheduler",
        "PBSProProvider",
        "PBSProScheduler",
        "SlurmProvider",
        "SlurmScheduler",
        "SubmitContext",
        "TorqueProvider",
        "TorqueScheduler",
    ]
    for name in parsl.providers.cluster.__all__:
        assert getattr(parsl.providers.cluster, name).__doc__


PUBLIC_PROVIDERS = {
    "SlurmProvider": "slurm",
    "PBSProProvider": "pbspro",
    "TorqueProvider": "torque",
    "LSFProvider": "lsf",
    "GridEngineProvider": "gridengine",
    "CondorProvider": "condor",
}


def test_every_scheduler_provider_resolves_at_parsls_public_path() -> None:
    for name, module in PUBLIC_PROVIDERS.items():
        public = getattr(parsl.providers, name)
        assert public.__module__ == f"parsl.providers.cluster.{module}"
        assert public is getattr(parsl.providers.cluster, name)
        assert issubclass(public, ExecutionProvider)
    assert set(PUBLIC_PROVIDERS) <= set(plugins.available("parsl.providers"))


def test_public_import_in_a_fresh_interpreter() -> None:
    code = (
        "from parsl.providers import SlurmProvider, LocalProvider; print(SlurmProvider.__module__)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=30, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "parsl.providers.cluster.slurm"

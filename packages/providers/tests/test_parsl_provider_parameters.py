"""Parsl's provider parameters: SlurmProvider(gres, gpus_per_node, status_batch_size),
CondorProvider(cmd_chunk_size), KubernetesProvider(extra_requests, extra_limits).

Slurm and HTCondor run against the stand-in commands (cluster_fakes.py,
scheduler_fakes.py), each wrapped by a logger that records every call, so the
batching is seen in the commands actually run.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

import pytest
from cluster_fakes import FakeBatchSystem, wait_until
from scheduler_fakes import install_standins

from parsl.errors import ConfigurationError
from parsl.jobs.states import JobState
from parsl.launchers import SimpleLauncher
from parsl.providers import CondorProvider, KubernetesProvider, SlurmProvider
from parsl.providers.kubernetes.pods import pod_manifest


def log_calls(command: str, bin_dir: Path, log: Path) -> None:
    """Put a ``command`` in ``bin_dir`` that records its arguments in ``log``, then runs the real one."""
    real = shutil.which(command)
    assert real is not None, command
    wrapper = bin_dir / command
    wrapper.write_text(f'#!/bin/bash\necho "$*" >> {log}\nexec {real} "$@"\n')
    wrapper.chmod(0o755)


def calls(log: Path) -> list[list[str]]:
    return [line.split() for line in log.read_text().splitlines()] if log.exists() else []


@pytest.fixture
def logged_path(tmp_path: Path) -> Path:
    bin_dir = tmp_path / "logged-bin"
    bin_dir.mkdir()
    return bin_dir


def _on_path(monkeypatch: pytest.MonkeyPatch, *dirs: Path) -> None:
    joined = os.pathsep.join(str(d) for d in dirs)
    monkeypatch.setenv("PATH", f"{joined}{os.pathsep}{os.environ['PATH']}")


def make_slurm(tmp_path: Path, **kwargs: Any) -> SlurmProvider:
    provider = SlurmProvider(launcher=SimpleLauncher(), **kwargs)
    provider.script_dir = str(tmp_path / "scripts")
    return provider


def test_slurm_gres_and_gpus_per_node_are_in_the_sbatch_script(
    fake_system: FakeBatchSystem, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    _on_path(monkeypatch, fake_system.bin_dir)
    provider = make_slurm(tmp_path, gres="gpu:a100:2", gpus_per_node=2)
    job_id = provider.submit("true", 1)
    script = Path(provider.resources[job_id]["script_path"]).read_text()
    assert "#SBATCH --gres=gpu:a100:2\n" in script
    assert "#SBATCH --gpus-per-node=2\n" in script
    typed = make_slurm(tmp_path, gpus_per_node="a100:4")
    script = Path(typed.resources[typed.submit("true", 1)]["script_path"]).read_text()
    assert "#SBATCH --gpus-per-node=a100:4\n" in script and "--gres" not in script
    assert "gres='gpu:a100:2'" in repr(provider)


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"gres": ""}, "gres"),
        ({"gres": "gpu:1\n#SBATCH --x"}, "gres"),
        ({"gpus_per_node": 0}, "gpus_per_node"),
        ({"gpus_per_node": 1.5}, "gpus_per_node"),
        ({"status_batch_size": 0}, "status_batch_size"),
    ],
)
def test_slurm_bad_values_name_the_field(kwargs: dict[str, Any], field: str) -> None:
    with pytest.raises(ConfigurationError, match=field):
        SlurmProvider(**kwargs)


def test_slurm_status_batch_size_splits_squeue_calls(
    fake_system: FakeBatchSystem,
    logged_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    _on_path(monkeypatch, fake_system.bin_dir)
    log = tmp_path / "squeue.log"
    log_calls("squeue", logged_path, log)
    _on_path(monkeypatch, logged_path, fake_system.bin_dir)
    provider = make_slurm(tmp_path, status_batch_size=2)
    assert SlurmProvider().status_batch_size == 50
    jobs = [provider.submit("sleep 30", 1) for _ in range(5)]
    statuses = provider.status(jobs)
    assert [s.state for s in statuses] == [JobState.RUNNING] * 5
    asked = [next(a for a in c if a.startswith("--job=")) for c in calls(log)]
    assert [a.removeprefix("--job=").split(",") for a in asked] == [
        jobs[0:2],
        jobs[2:4],
        jobs[4:5],
    ]
    assert provider.cancel(jobs) == [True] * 5


def test_condor_cmd_chunk_size_splits_condor_q_and_condor_rm(
    fake_system: FakeBatchSystem,
    logged_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    standins = install_standins(fake_system, "condor")
    _on_path(monkeypatch, standins)
    q_log, rm_log = tmp_path / "condor_q.log", tmp_path / "condor_rm.log"
    log_calls("condor_q", logged_path, q_log)
    log_calls("condor_rm", logged_path, rm_log)
    _on_path(monkeypatch, logged_path, standins)
    provider = CondorProvider(launcher=SimpleLauncher(), cmd_chunk_size=2)
    provider.script_dir = str(tmp_path / "scripts")
    assert CondorProvider().cmd_chunk_size == 100
    jobs = [provider.submit("sleep 30", 1) for _ in range(3)]
    wait_until(
        lambda: all(s.state == JobState.RUNNING for s in provider.status(jobs)), what="running"
    )
    assert all(len([a for a in c if a.isdigit()]) <= 2 for c in calls(q_log))
    assert len(calls(q_log)) >= 2
    assert provider.cancel(jobs) == [True, True, True]
    assert [[a for a in c if a.isdigit()] for c in calls(rm_log)] == [jobs[:2], jobs[2:]]
    with pytest.raises(ConfigurationError, match="cmd_chunk_size"):
        CondorProvider(cmd_chunk_size=0)


def test_kubernetes_extra_requests_and_limits_reach_the_pod() -> None:
    provider = KubernetesProvider(
        image="python:3.11",
        extra_requests={"nvidia.com/gpu": "1"},
        extra_limits={"nvidia.com/gpu": "1", "ephemeral-storage": "1Gi"},
    )
    pod = pod_manifest(provider.template, "job-1", "job-1-0", "true")
    resources = pod["spec"]["containers"][0]["resources"]
    assert resources["requests"] == {"cpu": "1", "memory": "250Mi", "nvidia.com/gpu": "1"}
    assert resources["limits"] == {
        "cpu": "2",
        "memory": "500Mi",
        "nvidia.com/gpu": "1",
        "ephemeral-storage": "1Gi",
    }
    plain = pod_manifest(KubernetesProvider(image="python:3.11").template, "j", "j-0", "true")
    assert set(plain["spec"]["containers"][0]["resources"]["limits"]) == {"cpu", "memory"}


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"extra_requests": ["nvidia.com/gpu"]}, "extra_requests"),
        ({"extra_limits": {"nvidia.com/gpu": 1}}, "extra_limits"),
        ({"extra_limits": {"cpu": "4"}}, "init_/max_cpu"),
    ],
)
def test_kubernetes_extra_resources_are_checked(kwargs: dict[str, Any], match: str) -> None:
    with pytest.raises(ConfigurationError, match=match):
        KubernetesProvider(image="python:3.11", **kwargs)


def test_kubernetes_extra_resources_are_in_the_submitted_pods(tmp_path: Path) -> None:
    from kube_standin import standin_cluster

    with standin_cluster(namespaces=("default",)) as cluster:
        provider = KubernetesProvider(
            image="python:3.11",
            kubeconfig=str(cluster.kubeconfig()),
            extra_requests={"example.com/fpga": "1"},
            extra_limits={"example.com/fpga": "1"},
        )
        provider.script_dir = str(tmp_path)
        job_id = provider.submit("true", 1, "parsl.htex.block-0")
        # The pod as the API server received and stored it.
        stored = cluster.pods[("default", f"{job_id}-0")].obj
        provider.cancel([job_id])
    resources = stored["spec"]["containers"][0]["resources"]
    assert resources["requests"]["example.com/fpga"] == "1"
    assert resources["limits"]["example.com/fpga"] == "1"

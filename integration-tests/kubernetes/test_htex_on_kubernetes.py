"""HighThroughputExecutor with KubernetesProvider: blocks are pods, made by the real kubernetes client.

The API server is the stand-in from packages/providers/tests/kube_standin.py
(no Kubernetes can run here); its kubelet runs each pod's command as a local
process, so the worker pools really start, connect back to the interchange
on 127.0.0.1 and run tasks.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from block_apps import env_of, nap_then_env_of, wait_until
from block_apps import mark_then_sleep as mark_env_then_sleep
from kube_standin import StandInCluster

import parsl
from parsl.config import Config
from parsl.executors import HighThroughputExecutor
from parsl.executors.errors import ScalingFailed
from parsl.executors.high_throughput.errors import ManagerLost
from parsl.jobs.states import JobState
from parsl.providers import KubernetesProvider

pytestmark = pytest.mark.timeout(120)


def pod_name() -> Any:
    return env_of("PARSL_POD_NAME")


def nap_then_pod_name(seconds: float) -> Any:
    return nap_then_env_of("PARSL_POD_NAME", seconds)


def mark_then_sleep(marker: str, seconds: float) -> Any:
    return mark_env_then_sleep("PARSL_POD_NAME", marker, seconds)


@pytest.fixture
def load(kube: StandInCluster, tmp_path: Path) -> Iterator[Callable[..., HighThroughputExecutor]]:
    """Load a DataFlowKernel with one Kubernetes-backed htex; cleared (pods deleted) afterwards."""

    def _load(config: dict[str, Any] | None = None, **provider: Any) -> HighThroughputExecutor:
        settings: dict[str, Any] = {
            "image": "python:3.11",
            "kubeconfig": str(kube.kubeconfig()),
            "init_blocks": 1,
            "max_blocks": 1,
            "max_cpu": 1,
            "init_cpu": "500m",
        }
        kube_provider = KubernetesProvider(**(settings | provider))
        kube_provider.polling_interval_s = 0.5
        executor = HighThroughputExecutor(
            label="kube_htex",
            provider=kube_provider,
            max_workers_per_node=1,
            heartbeat_period=1,
            heartbeat_threshold=5,
        )
        parsl.load(
            Config(executors=[executor], run_dir=str(tmp_path / "runinfo"), **(config or {}))
        )
        return executor

    try:
        yield _load
    finally:
        parsl.clear()


def test_tasks_run_inside_the_blocks_pod(
    load: Callable[..., HighThroughputExecutor], kube: StandInCluster, tmp_path: Path
) -> None:
    executor = load({"strategy": "none"}, nodes_per_block=2)
    names = {f.result(timeout=60) for f in [pod_name() for _ in range(8)]}
    job = executor.blocks["0"]
    assert names <= {f"{job}-0", f"{job}-1"} and names
    assert executor.status()["0"].state is JobState.RUNNING
    # One manager per pod; on a loaded machine the 8 tasks can all finish on the first pod's
    # manager before the second pod's has registered.
    wait_until(lambda: len(executor.connected_managers()) == 2, timeout=30)
    manifest = tmp_path / "runinfo" / "000" / "submit_scripts" / f"{job}.pods.json"
    assert manifest.exists()
    parsl.clear()
    assert kube.pods == {}  # the executor deleted its pods at shutdown


def test_a_deleted_pod_fails_its_task_and_the_strategy_replaces_the_block(
    load: Callable[..., HighThroughputExecutor], kube: StandInCluster, tmp_path: Path
) -> None:
    executor = load({"strategy": "simple", "strategy_period": 0.5}, min_blocks=1)
    first = pod_name().result(timeout=60)
    marker = tmp_path / "started"
    victim = mark_then_sleep(str(marker), 120)
    wait_until(marker.exists)
    kube.delete("default", first)
    with pytest.raises(ManagerLost):
        victim.result(timeout=60)
    wait_until(lambda: len(executor.blocks) >= 2)
    later = pod_name().result(timeout=60)
    assert later != first
    assert executor.status()["0"].state is JobState.MISSING


def test_scales_out_to_max_blocks_under_backlog_then_in_to_min_blocks(
    load: Callable[..., HighThroughputExecutor], kube: StandInCluster
) -> None:
    executor = load(
        {"strategy": "simple", "strategy_period": 0.5, "max_idletime": 2},
        init_blocks=0,
        min_blocks=1,
        max_blocks=3,
    )

    def live() -> list[str]:
        return [b for b, s in executor.status().items() if not s.terminal]

    wait_until(lambda: len(live()) == 1)
    backlog = [nap_then_pod_name(1.5) for _ in range(12)]
    wait_until(lambda: len(live()) == 3)
    ran_in = {f.result(timeout=90) for f in backlog}
    assert len(ran_in) >= 2
    assert len(executor.blocks) == 3
    wait_until(lambda: len(live()) == 1, timeout=30)
    assert len(kube.pods) == 1  # scaled-in blocks' pods are deleted


def test_a_bad_namespace_at_load_is_a_clear_error_with_the_apis_words(
    kube: StandInCluster, tmp_path: Path
) -> None:
    provider = KubernetesProvider(
        "python:3.11", namespace="nosuchns", kubeconfig=str(kube.kubeconfig()), init_blocks=1
    )
    executor = HighThroughputExecutor(label="kube_bad", provider=provider)
    config = Config(executors=[executor], run_dir=str(tmp_path / "runinfo"), strategy="none")
    try:
        with pytest.raises(ScalingFailed, match='namespaces "nosuchns" not found'):
            parsl.load(config)
    finally:
        parsl.clear()


def test_the_catalogs_kubernetes_entry_runs_a_workflow(
    kube: StandInCluster, tmp_path: Path
) -> None:
    """The site-catalog entry, loaded by name, with the stand-in kubelet as the cluster.

    The entry starts the worker pool with the image's ``python3``; here the
    "image" is this machine, so worker_init puts the venv's python3 first on PATH.
    """
    import os
    import sys

    from parsl.configs import load_config

    venv_bin = os.path.dirname(sys.executable)
    config = load_config(
        "kubernetes",
        namespace="parsl",
        image="python:3.11",
        kubeconfig=str(kube.kubeconfig()),
        address="127.0.0.1",
        worker_init=f"export PATH={venv_bin}:$PATH",
    )
    config.run_dir = str(tmp_path / "runinfo")
    config.strategy = "none"
    try:
        parsl.load(config)
        (executor,) = config.executors
        names = {pod_name().result(timeout=60) for _ in range(3)}
        assert names == {f"{executor.blocks['0']}-0"}
        assert all(ns == "parsl" for ns, _ in kube.pods)
    finally:
        parsl.clear()

"""CPU affinity and accelerator pinning, read back from inside tasks."""

from __future__ import annotations

import os
from collections.abc import Callable

import htex_tasks
import pytest

from parsl.executors import HighThroughputExecutor

MakeHtex = Callable[..., HighThroughputExecutor]


def by_worker(htex: HighThroughputExecutor, workers: int) -> dict[int, dict]:
    """What each of ``workers`` workers reports, from overlapping tasks."""
    seen: dict[int, dict] = {}
    for _ in range(20):
        futures = [htex.submit(htex_tasks.where, {}, 0.3) for _ in range(2 * workers)]
        for info in (f.result(timeout=30) for f in futures):
            seen[info["pid"]] = info
        if len(seen) >= workers:
            break
    return seen


@pytest.mark.skipif(len(os.sched_getaffinity(0)) < 2, reason="needs two CPUs to pin apart")
def test_block_affinity_pins_each_worker_to_its_own_cpu(make_htex: MakeHtex) -> None:
    htex = make_htex(max_workers_per_node=2, cpu_affinity="block")
    seen = by_worker(htex, 2)
    assert len(seen) == 2
    cpu_sets = [tuple(info["cpus"]) for info in seen.values()]
    assert all(len(cpus) == 1 for cpus in cpu_sets)
    assert len(set(cpu_sets)) == 2
    for info in seen.values():
        assert info["env"]["PARSL_CPUS"] == ",".join(map(str, info["cpus"]))


def test_no_affinity_leaves_the_cpu_set_alone(make_htex: MakeHtex) -> None:
    htex = make_htex(max_workers_per_node=1)
    info = htex.submit(htex_tasks.where, {}).result(timeout=30)
    assert info["cpus"] == sorted(os.sched_getaffinity(0))
    assert "PARSL_CPUS" not in info["env"]


def test_each_worker_sees_its_own_accelerator(make_htex: MakeHtex) -> None:
    htex = make_htex(max_workers_per_node=4, available_accelerators=["gpu-a", "gpu-b"])
    seen = {pid: info["env"] for pid, info in by_worker(htex, 2).items()}
    assert htex.connected_workers == 2  # one worker per accelerator
    devices = sorted(env["CUDA_VISIBLE_DEVICES"] for env in seen.values())
    assert devices == ["gpu-a", "gpu-b"]
    for env in seen.values():
        assert env["ROCR_VISIBLE_DEVICES"] == env["CUDA_VISIBLE_DEVICES"]
        assert env["ZE_AFFINITY_MASK"] == env["CUDA_VISIBLE_DEVICES"]

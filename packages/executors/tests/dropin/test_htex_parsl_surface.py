"""Parsl's public HighThroughputExecutor methods, on a real executor with real worker pools."""

from __future__ import annotations

import inspect
import time
from collections.abc import Callable
from typing import Any

import htex_tasks
import pytest

from parsl.executors import HighThroughputExecutor, MPIExecutor
from parsl.executors.errors import BadStateException, InvalidResourceSpecification
from parsl.executors.status_handling import BlockProviderExecutor
from parsl.jobs.states import JobState
from parsl.providers import LocalProvider
from parsl.serialize import pack_apply_message

MakeHtex = Callable[..., HighThroughputExecutor]


def wait_for(check: Callable[[], Any], timeout: float = 30) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(0.1)


def test_the_names_parsl_documents_are_there() -> None:
    for name in (
        "scale_out_facade",
        "scale_in_facade",
        "connected_managers",
        "connected_blocks",
        "submit_payload",
        "validate_resource_spec",
        "outstanding",
        "workers_per_node",
        "launch_cmd",
        "blocks_to_job_id",
        "job_ids_to_block",
        "tasks",
        "status_facade",
        "poll_facade",
        "get_usage_information",
        "worker_logdir",
        "monitoring_messages",
    ):
        assert hasattr(HighThroughputExecutor, name) or hasattr(HighThroughputExecutor(), name), (
            name
        )
    assert isinstance(HighThroughputExecutor(), BlockProviderExecutor)
    assert HighThroughputExecutor(enable_mpi_mode=True).get_usage_information() == {"mpi": True}
    with pytest.raises(BadStateException):
        HighThroughputExecutor().worker_logdir  # noqa: B018


def test_signatures_take_parsls_arguments_in_parsls_order() -> None:
    scale_in = list(inspect.signature(HighThroughputExecutor.scale_in).parameters)
    assert scale_in[:3] == ["self", "blocks", "max_idletime"]  # scale_in(blocks, max_idletime)
    shutdown = inspect.signature(HighThroughputExecutor.shutdown).parameters
    assert list(shutdown) == ["self", "timeout"]
    assert shutdown["timeout"].kind is inspect.Parameter.POSITIONAL_OR_KEYWORD
    for cls in (HighThroughputExecutor, MPIExecutor):
        names = list(inspect.signature(cls).parameters)
        at = names.index("address_probe_timeout")
        assert names[at - 1 : at + 2] == [
            "poll_period",
            "address_probe_timeout",
            "worker_logdir_root",
        ]
    mpi = list(inspect.signature(MPIExecutor).parameters)
    tail = ["worker_logdir_root", "mpi_launcher", "block_error_handler", "encrypted"]
    assert [n for n in mpi if n in tail] == tail


@pytest.mark.timeout(90)
def test_sizes_keep_the_type_they_were_given() -> None:
    # Code written for Parsl does range(htex.max_workers_per_node); Parsl keeps the int it got.
    htex = HighThroughputExecutor(max_workers_per_node=4, cores_per_worker=2)
    assert htex.max_workers_per_node == 4 and type(htex.max_workers_per_node) is int
    assert list(range(htex.max_workers_per_node)) == [0, 1, 2, 3]
    assert HighThroughputExecutor().max_workers_per_node == float("inf")
    assert htex.cores_per_worker == 2


def test_scaling_facades_blocks_and_managers(make_htex: MakeHtex) -> None:
    htex = make_htex(
        max_workers_per_node=1, provider=LocalProvider(init_blocks=0, min_blocks=0, max_blocks=3)
    )
    assert htex.connected_blocks() == [] and htex.blocks_to_job_id == {}
    new = htex.scale_out_facade(2)
    assert new == ["0", "1"]
    assert set(htex.blocks_to_job_id) == {"0", "1"}
    assert htex.job_ids_to_block[htex.blocks_to_job_id["1"]] == "1"
    assert wait_for(lambda: htex.connected_blocks() == ["0", "1"])
    managers = htex.connected_managers()
    assert {m["block_id"] for m in managers} == {"0", "1"}
    for m in managers:
        assert m["manager"] == m["manager_id"] and m["active"] is True
        assert m["worker_count"] == 1 and m["tasks"] == 0
        assert m["idle_duration"] >= 0 and m["parsl_version"]
    assert htex.workers_per_node == 1
    assert htex.worker_logdir == htex.logdir  # <run_dir>/<label>, as in Parsl

    busy = htex.submit(htex_tasks.sleep_then, {}, 20)
    assert wait_for(lambda: htex.outstanding == 1 and len(htex.tasks) == 1)
    assert wait_for(lambda: any(m["tasks"] for m in htex.connected_managers()))
    # With max_idletime, only a block idle that long goes: none yet, then the idle one.
    assert htex.scale_in_facade(2, max_idletime=60) == []
    removed = htex.scale_in_facade(2, max_idletime=0)
    assert len(removed) == 1
    assert htex.status_facade[removed[0]].state in (JobState.SCALED_IN, JobState.CANCELLED)
    assert not busy.done()
    # Without it, busy blocks go too (Parsl's "rude" scale-in): the task's future fails.
    left = [b for b in ("0", "1") if b not in removed]
    assert htex.scale_in_facade(1) == left
    with pytest.raises(Exception, match="(?i)manager|lost|block"):
        busy.result(timeout=30)
    htex.poll_facade()
    # As in Parsl, a block once connected stays in connected_blocks(); the managers are gone.
    assert wait_for(lambda: htex.connected_managers() == [])
    assert htex.connected_blocks() == ["0", "1"]


@pytest.mark.timeout(60)
def test_submit_payload_runs_a_packed_call(make_htex: MakeHtex) -> None:
    htex = make_htex()
    fut = htex.submit_payload({}, pack_apply_message(htex_tasks.add, (21, 21), {}))
    assert fut.result(timeout=30) == 42
    prio = htex.submit_payload(
        {"resource_spec": {"priority": 1}}, pack_apply_message(htex_tasks.add, (1, 1), {})
    )
    assert prio.result(timeout=30) == 2
    with pytest.raises(InvalidResourceSpecification):
        htex.submit_payload(
            {"resource_spec": {"cores": 2}}, pack_apply_message(htex_tasks.add, (1, 1), {})
        )
    with pytest.raises(TypeError, match="context"):
        htex.submit_payload([], b"")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="bytes"):
        htex.submit_payload({}, "text")  # type: ignore[arg-type]
    htex.validate_resource_spec({"priority": 3})
    with pytest.raises(InvalidResourceSpecification):
        htex.validate_resource_spec({"num_nodes": 2})


def test_workers_per_node_follows_the_providers_node_size() -> None:
    """Parsl's slot count: the provider's cores_per_node / mem_per_node when it gives them."""
    from parsl.executors.high_throughput.worker_pool import available_cpus
    from parsl.providers import SlurmProvider

    def htex(provider: Any, **kwargs: Any) -> HighThroughputExecutor:
        return HighThroughputExecutor(provider=provider, **kwargs)

    big = SlurmProvider(cores_per_node=64, mem_per_node=128)
    assert htex(big).workers_per_node == 64  # one core per worker by default
    assert htex(big, cores_per_worker=4).workers_per_node == 16
    assert htex(big, cores_per_worker=4, mem_per_worker=16).workers_per_node == 8
    assert htex(big, max_workers_per_node=5).workers_per_node == 5
    assert htex(big, available_accelerators=3).workers_per_node == 3
    assert htex(big, cores_per_worker=128).workers_per_node == 1  # never fewer than one
    # A batch node of unknown size: no limit from this machine's CPUs (Parsl's rule) ...
    assert htex(SlurmProvider(), max_workers_per_node=48).workers_per_node == 48
    assert htex(SlurmProvider()).workers_per_node == 1  # ... and 1 when nothing limits it
    # A LocalProvider's blocks run here: this machine's CPUs count unless told otherwise.
    here = len(available_cpus())
    assert htex(LocalProvider(), max_workers_per_node=here + 5).workers_per_node == here
    told = LocalProvider()
    told.cores_per_node = here + 8  # Parsl's tests set it on the provider
    assert htex(told, max_workers_per_node=here + 5).workers_per_node == here + 5

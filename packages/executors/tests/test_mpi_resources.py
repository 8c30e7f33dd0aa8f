"""MPI mode's pure parts: spec validation, launcher prefixes, node lists, node allocation."""

from __future__ import annotations

import shlex
import socket
from pathlib import Path

import pytest

from parsl.app.errors import RemoteExceptionWrapper
from parsl.executors.errors import InvalidResourceSpecification
from parsl.executors.high_throughput.mpi_resources import (
    MPITaskSpec,
    NodeAllocator,
    discover_nodelist,
    expand_slurm_nodelist,
    launcher_prefix,
    max_concurrent_tasks,
    parse_mpi_spec,
    task_environment,
)
from parsl.executors.high_throughput.mpi_tasks import MPITaskQueue
from parsl.executors.high_throughput.protocol import Result, Task, decode
from parsl.serialize import deserialize

# ------------------------------------------------------------------ specs


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ({"num_ranks": 4}, MPITaskSpec(1, 4, 4)),
        ({"num_nodes": 2, "ranks_per_node": 3}, MPITaskSpec(2, 3, 6)),
        ({"num_nodes": 2, "num_ranks": 8}, MPITaskSpec(2, 4, 8)),
        ({"num_nodes": 2, "num_ranks": 4, "ranks_per_node": 2}, MPITaskSpec(2, 2, 4)),
        (
            {"ranks_per_node": 2, "launcher_options": " --bind-to core ", "priority": 3},
            MPITaskSpec(1, 2, 2, "--bind-to core"),
        ),
    ],
)
def test_valid_specs_are_completed(spec: dict[str, object], expected: MPITaskSpec) -> None:
    assert parse_mpi_spec(spec, 4) == expected


@pytest.mark.parametrize(
    ("spec", "keys", "words"),
    [
        ({}, ["launcher_options", "num_nodes", "num_ranks", "ranks_per_node"], "needs"),
        (
            {"priority": 1},
            ["launcher_options", "num_nodes", "num_ranks", "ranks_per_node"],
            "needs",
        ),
        ({"num_nodes": 2}, ["num_ranks", "ranks_per_node"], "give num_ranks or ranks_per_node"),
        ({"num_ranks": 4, "cores": 2}, ["cores"], "accept only"),
        ({"num_ranks": 0}, ["num_ranks"], "int >= 1"),
        ({"num_ranks": True}, ["num_ranks"], "int >= 1"),
        ({"num_ranks": "4"}, ["num_ranks"], "int >= 1"),
        ({"num_nodes": 0, "num_ranks": 2}, ["num_nodes"], "int >= 1"),
        ({"num_nodes": 2, "num_ranks": 3}, ["num_nodes", "num_ranks"], "evenly"),
        (
            {"num_nodes": 2, "num_ranks": 5, "ranks_per_node": 2},
            ["num_nodes", "num_ranks", "ranks_per_node"],
            "is not num_nodes=2 \\* ranks_per_node=2",
        ),
        ({"num_ranks": 2, "launcher_options": ["-x"]}, ["launcher_options"], "string"),
        ({"num_nodes": 5, "ranks_per_node": 1}, ["num_nodes"], "more than the 4 node"),
    ],
)
def test_bad_specs_name_the_keys(spec: dict[str, object], keys: list[str], words: str) -> None:
    with pytest.raises(InvalidResourceSpecification, match=words) as info:
        parse_mpi_spec(spec, 4)
    assert info.value.invalid_keys == keys


def test_spec_must_be_a_mapping() -> None:
    with pytest.raises(InvalidResourceSpecification, match="expected a dict"):
        parse_mpi_spec([("num_ranks", 2)])  # type: ignore[arg-type]


def test_unknown_block_size_does_not_bound_nodes() -> None:
    assert parse_mpi_spec({"num_nodes": 64, "ranks_per_node": 1}).num_nodes == 64


# --------------------------------------------------------------- prefixes


def test_launcher_prefixes_for_each_launcher() -> None:
    spec = MPITaskSpec(2, 2, 4, "--cpu-bind depth")
    nodes = ["a", "b"]
    assert launcher_prefix("mpiexec", spec, nodes) == (
        "mpiexec -n 4 -ppn 2 -hosts a,b --cpu-bind depth"
    )
    assert launcher_prefix("mpiexec", spec, nodes, openmpi=True) == (
        "mpiexec -n 4 -npernode 2 --host a:2,b:2 --cpu-bind depth"
    )
    assert launcher_prefix("srun", spec, nodes) == (
        "srun -N 2 -n 4 --ntasks-per-node 2 --nodelist=a,b --cpu-bind depth"
    )
    assert launcher_prefix("aprun", spec, nodes) == "aprun -n 4 -N 2 -L a,b --cpu-bind depth"
    with pytest.raises(ValueError, match="mpirun"):
        launcher_prefix("mpirun", spec, nodes)


def test_odd_node_names_are_quoted() -> None:
    prefix = launcher_prefix("srun", MPITaskSpec(1, 1, 1), ["node with space"])
    assert shlex.split(prefix)[-1] == "--nodelist=node with space"


def test_task_environment_has_every_variable() -> None:
    env = task_environment("srun", MPITaskSpec(2, 3, 6), ["n1", "n2"])
    assert env["PARSL_MPI_PREFIX"] == env["PARSL_SRUN_PREFIX"]
    assert env["PARSL_MPIEXEC_PREFIX"].startswith("mpiexec -n 6 -ppn 3 -hosts n1,n2")
    assert env["PARSL_APRUN_PREFIX"].startswith("aprun -n 6 -N 3")
    assert (env["PARSL_NUM_NODES"], env["PARSL_NUM_RANKS"], env["PARSL_RANKS_PER_NODE"]) == (
        "2",
        "6",
        "3",
    )
    assert env["PARSL_MPI_NODELIST"] == "n1,n2"


# -------------------------------------------------------------- node lists


@pytest.mark.parametrize(
    ("text", "nodes"),
    [
        ("nid001", ["nid001"]),
        ("a,b", ["a", "b"]),
        ("nid[001-003]", ["nid001", "nid002", "nid003"]),
        ("nid[08-10,15],login1", ["nid08", "nid09", "nid10", "nid15", "login1"]),
        ("r[1-2]-ib", ["r1-ib", "r2-ib"]),
    ],
)
def test_slurm_nodelists_expand(text: str, nodes: list[str]) -> None:
    assert expand_slurm_nodelist(text) == nodes


@pytest.mark.parametrize("text", ["nid[a-b]", "nid[1-]", "nid[001"])
def test_bad_slurm_nodelists_are_errors(text: str) -> None:
    with pytest.raises(ValueError, match="cannot parse Slurm node list"):
        expand_slurm_nodelist(text)


def test_nodelist_discovery_order(tmp_path: Path) -> None:
    nodefile = tmp_path / "nodes"
    nodefile.write_text("p1\np1\np2\n\n")
    assert discover_nodelist({"PARSL_MPI_NODELIST": "x, y", "SLURM_NODELIST": "s1"}) == ["x", "y"]
    assert discover_nodelist({"SLURM_NODELIST": "s[1-2]", "PBS_NODEFILE": str(nodefile)}) == [
        "s1",
        "s2",
    ]
    assert discover_nodelist({"SLURM_JOB_NODELIST": "j1"}) == ["j1"]
    assert discover_nodelist({"PBS_NODEFILE": str(nodefile)}) == ["p1", "p2"]
    assert discover_nodelist({}) == [socket.gethostname()]


def test_missing_pbs_nodefile_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        discover_nodelist({"PBS_NODEFILE": str(tmp_path / "absent")})


def test_concurrency_is_workers_or_one_per_node() -> None:
    assert max_concurrent_tasks(3, 8) == 3
    assert max_concurrent_tasks(float("inf"), 8) == 8


# -------------------------------------------------------------- allocation


def test_allocator_gives_distinct_nodes_and_takes_them_back() -> None:
    alloc = NodeAllocator(["a", "b", "c"])
    assert alloc.allocate(1, 2) == ["a", "b"]
    assert alloc.allocate(2, 2) is None
    assert alloc.free == ["c"]
    assert alloc.allocate(3, 1) == ["c"]
    assert alloc.holder_count() == 2
    assert alloc.release(1) == ["a", "b"]
    assert alloc.release(1) == []
    assert alloc.allocate(2, 2) == ["a", "b"]
    assert alloc.free == []


def test_allocator_rejects_impossible_requests() -> None:
    alloc = NodeAllocator(["a"])
    with pytest.raises(ValueError, match="num_nodes=2"):
        alloc.allocate(1, 2)
    with pytest.raises(ValueError, match="num_nodes=0"):
        alloc.allocate(1, 0)
    assert alloc.allocate(1, 1) == ["a"]
    with pytest.raises(ValueError, match="already holds"):
        alloc.allocate(1, 1)
    with pytest.raises(ValueError, match="at least one node"):
        NodeAllocator([])
    with pytest.raises(ValueError, match="repeat"):
        NodeAllocator(["a", "a"])


def test_allocator_never_double_books_under_churn() -> None:
    alloc = NodeAllocator([f"n{i}" for i in range(5)])
    held: dict[int, list[str]] = {}
    for step in range(200):
        task = step
        size = 1 + step % 3
        got = alloc.allocate(task, size)
        if got is not None:
            held[task] = got
        in_use = [n for nodes in held.values() for n in nodes]
        assert len(in_use) == len(set(in_use))
        assert sorted(in_use + alloc.free) == sorted(alloc.nodes)
        if step % 2 and held:
            oldest = min(held)
            assert alloc.release(oldest) == held.pop(oldest)


# ------------------------------------------------------ the manager's queue


def _task(task_id: int, spec: dict[str, object]) -> Task:
    return Task(task_id=task_id, priority=None, resource_spec=spec, payload=b"p%d" % task_id)


def test_queue_waits_for_nodes_and_backfills() -> None:
    queue = MPITaskQueue("mpiexec", ["a", "b"])
    assert queue.add(_task(1, {"num_nodes": 2, "num_ranks": 2})) is None
    assert queue.add(_task(2, {"num_nodes": 2, "num_ranks": 2})) is None
    assert queue.add(_task(3, {"num_ranks": 1})) is None
    first = queue.ready(idle_workers=3)
    assert [t for t, _ in first] == [1]
    sent = decode(first[0][1])
    assert isinstance(sent, Task) and sent.payload == b"p1"
    assert sent.resource_spec["env"]["PARSL_MPI_NODELIST"] == "a,b"
    assert sent.resource_spec["env"]["PARSL_MPI_PREFIX"] == "mpiexec -n 2 -ppn 1 -hosts a,b"
    assert not queue.ready(idle_workers=2)  # every node is busy
    queue.finished([1])
    assert [t for t, _ in queue.ready(idle_workers=1)] == [2]
    queue.finished([2])
    assert [t for t, _ in queue.ready(idle_workers=0)] == []  # no idle worker, nothing leaves
    third = queue.ready(idle_workers=1)
    env = decode(third[0][1]).resource_spec["env"]  # type: ignore[attr-defined]
    assert env["PARSL_MPI_NODELIST"] == "a"


def test_queue_backfills_a_small_task_past_a_big_one() -> None:
    queue = MPITaskQueue("srun", ["a", "b"])
    queue.add(_task(1, {"num_ranks": 1}))
    queue.add(_task(2, {"num_nodes": 2, "num_ranks": 2}))
    queue.add(_task(3, {"num_ranks": 1}))
    assert [t for t, _ in queue.ready(idle_workers=4)] == [1, 3]


def test_queue_fails_a_task_that_can_never_fit() -> None:
    queue = MPITaskQueue("mpiexec", ["a"], openmpi=True)
    frame = queue.add(_task(7, {"num_nodes": 2, "num_ranks": 2}))
    assert frame is not None
    result = decode(frame)
    assert isinstance(result, Result) and result.task_id == 7
    wrapped = deserialize(result.payload)
    assert isinstance(wrapped, RemoteExceptionWrapper)
    with pytest.raises(InvalidResourceSpecification, match="more than the 1 node"):
        wrapped.reraise()
    assert not queue.waiting

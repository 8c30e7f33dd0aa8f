"""MPI mode end to end: validation at submit, node allocation, environment, a real MPI program."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from conftest import FAST_HEARTBEATS, descendants, wait_gone
from mpi_test_tasks import mpi_env

import parsl
from parsl import bash_app
from parsl.config import Config
from parsl.errors import ConfigurationError
from parsl.executors import HighThroughputExecutor, MPIExecutor
from parsl.executors.errors import InvalidResourceSpecification
from parsl.executors.high_throughput.mpi_prefix_composer import compose_all
from parsl.executors.high_throughput.worker_pool import (
    build_parser,
    mpiexec_is_openmpi,
    settings_from_args,
)
from parsl.launchers import SimpleLauncher
from parsl.providers import LocalProvider

MakeHtex = Callable[..., HighThroughputExecutor]

HELLO_C = r"""
#include <mpi.h>
#include <stdio.h>
int main(int argc, char **argv) {
    int rank, size;
    MPI_Init(&argc, &argv);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    printf("hello from rank %d of %d\n", rank, size);
    MPI_Finalize();
    return 0;
}
"""


def test_mpi_executor_is_public_and_checks_its_arguments() -> None:
    from parsl.executors.high_throughput.mpi_executor import MPIExecutor as Direct

    assert MPIExecutor is Direct
    ex = MPIExecutor(max_workers_per_block=3, mpi_launcher="srun")
    assert ex.enable_mpi_mode and ex.mpi_launcher == "srun" and ex.max_workers_per_node == 3
    assert ex.label == "MPIExecutor"
    with pytest.raises(ConfigurationError, match="max_workers_per_block"):
        MPIExecutor(max_workers_per_block=0)
    with pytest.raises(ConfigurationError, match="mpi_launcher") as info:
        MPIExecutor(mpi_launcher="mpirun")
    assert isinstance(info.value, ValueError)  # as Parsl raises for an unknown MPI launcher
    assert (info.value.field, info.value.value) == ("mpi_launcher", "mpirun")
    with pytest.raises(ValueError, match="mpi_launcher"):
        HighThroughputExecutor(enable_mpi_mode=True, mpi_launcher="bad_launcher")
    with pytest.raises(ConfigurationError, match="containing \\{mpi\\}"):
        MPIExecutor(launch_cmd="parsl-worker-pool --port {worker_port}")
    with pytest.raises(ConfigurationError, match="enable_mpi_mode"):
        HighThroughputExecutor(enable_mpi_mode="yes")


def test_mpi_executor_takes_address_probe_timeout_as_htex_does(tmp_path: Path) -> None:
    from parsl.executors.high_throughput import worker_launch

    assert MPIExecutor().address_probe_timeout is None
    ex = MPIExecutor(address_probe_timeout=5)
    assert ex.address_probe_timeout == 5
    ex.logdir = str(tmp_path)
    assert "--address-probe-timeout 5" in worker_launch.launch_command(ex, "0", 54321)
    for bad in (0, -1, True, "5", 2.5):
        expected = f"address_probe_timeout={bad!r} is not valid: expected an int >= 1"
        with pytest.raises(ConfigurationError) as htex_error:
            HighThroughputExecutor(address_probe_timeout=bad)  # type: ignore[arg-type]
        with pytest.raises(ConfigurationError) as mpi_error:
            MPIExecutor(address_probe_timeout=bad)  # type: ignore[arg-type]
        assert type(mpi_error.value) is type(htex_error.value)
        assert mpi_error.value.field == htex_error.value.field == "address_probe_timeout"
        assert str(htex_error.value).startswith(expected)
        assert str(mpi_error.value).startswith(expected)


def test_launch_command_turns_on_mpi_mode_only_when_asked(make_htex: MakeHtex) -> None:
    plain = make_htex(label="plain")
    mpi = make_htex(label="mpi", enable_mpi_mode=True, mpi_launcher="aprun")
    assert "--enable-mpi-mode" not in plain._launch_command("9")
    assert "--enable-mpi-mode --mpi-launcher aprun" in mpi._launch_command("9")


def test_worker_pool_in_mpi_mode_sizes_by_tasks_and_finds_nodes(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    base = ["--address", "127.0.0.1", "--port", "1", "--logdir", str(tmp_path)]
    monkeypatch.setenv("PARSL_MPI_NODELIST", "a,b,c")
    mpi = [*base, "--enable-mpi-mode", "--mpi-launcher", "srun", "--cores-per-worker", "64"]
    settings = settings_from_args(build_parser().parse_args([*mpi, "--max-workers-per-node", "5"]))
    assert (settings.mpi_launcher, settings.mpi_nodes, settings.worker_count) == (
        "srun",
        ["a", "b", "c"],
        5,
    )
    assert not settings.openmpi  # only mpiexec has an Open MPI spelling
    unlimited = settings_from_args(build_parser().parse_args(mpi))
    assert unlimited.worker_count == 3  # one task per node
    plain = settings_from_args(build_parser().parse_args(base))
    assert plain.mpi_launcher is None and plain.mpi_nodes == []
    with pytest.raises(SystemExit):
        build_parser().parse_args([*base, "--mpi-launcher", "mpirun"])


def test_open_mpi_is_detected_from_mpiexec_version(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    fake = tmp_path / "mpiexec"
    monkeypatch.setenv("PATH", str(tmp_path))
    for banner, openmpi in [
        ("mpiexec (OpenRTE) 4.1.4", True),
        ("mpirun (Open MPI) 5.0.7", True),
        ("HYDRA build details:\n    Version: 4.1.2", False),
    ]:
        fake.write_text(f"#!/bin/sh\nprintf '%s\\n' '{banner}'\n")
        fake.chmod(0o755)
        assert mpiexec_is_openmpi() is openmpi, banner
    fake.unlink()
    assert mpiexec_is_openmpi() is False  # no mpiexec at all


def test_mpi_mode_refuses_a_launcher_that_starts_a_manager_per_node() -> None:
    from parsl.executors.high_throughput.errors import MPILauncherError
    from parsl.launchers import AprunLauncher, SingleNodeLauncher, SrunLauncher, WrappedLauncher
    from parsl.providers import SlurmProvider

    for launcher in (SrunLauncher(), AprunLauncher()):
        with pytest.raises(MPILauncherError, match="one manager per block") as err:
            MPIExecutor(provider=SlurmProvider(launcher=launcher, nodes_per_block=2))
        assert isinstance(err.value, TypeError) and isinstance(err.value, ConfigurationError)
        with pytest.raises(TypeError, match=type(launcher).__name__):
            HighThroughputExecutor(enable_mpi_mode=True, provider=SlurmProvider(launcher=launcher))
        HighThroughputExecutor(provider=SlurmProvider(launcher=launcher))  # not in MPI mode: fine
    for ok in (SimpleLauncher(), SingleNodeLauncher(), WrappedLauncher(prepend="env")):
        assert MPIExecutor(provider=SlurmProvider(launcher=ok)).provider.launcher is ok
    assert isinstance(MPIExecutor().provider.launcher, SingleNodeLauncher)  # the default


def test_bad_specs_fail_at_submit(make_htex: MakeHtex) -> None:
    ex = make_htex(enable_mpi_mode=True, **FAST_HEARTBEATS)
    for spec, words in [
        ({}, "needs parsl_resource_specification"),
        ({"num_nodes": 1, "num_ranks": 2, "ranks_per_node": 1}, "is not num_nodes"),
        ({"num_ranks": 2, "walltime": 5}, "walltime"),
    ]:
        with pytest.raises(InvalidResourceSpecification, match=words):
            ex.submit(mpi_env, spec)
    plain = make_htex(label="plain")
    with pytest.raises(InvalidResourceSpecification, match="enable_mpi_mode=True or MPIExecutor"):
        plain.submit(mpi_env, {"num_ranks": 2})
    # A batch provider's block has nodes_per_block nodes: a wider task is refused at submit.
    from parsl.providers import SlurmProvider

    batch = MPIExecutor(provider=SlurmProvider(launcher=SimpleLauncher(), nodes_per_block=2))
    batch.validate_resource_specification({"num_nodes": 2, "ranks_per_node": 1})
    with pytest.raises(InvalidResourceSpecification, match="more than the 2 node"):
        batch.validate_resource_specification({"num_nodes": 3, "ranks_per_node": 1})


def test_tasks_see_their_nodes_and_prefixes(
    make_htex: MakeHtex, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PARSL_MPI_NODELIST", "n1,n2,n3")
    provider = LocalProvider(
        init_blocks=1, max_blocks=1, nodes_per_block=3, launcher=SimpleLauncher()
    )
    ex = make_htex(enable_mpi_mode=True, mpi_launcher="srun", provider=provider, **FAST_HEARTBEATS)
    two = ex.submit(mpi_env, {"num_nodes": 2, "ranks_per_node": 3, "priority": 1})
    env = two.result(timeout=30)["env"]
    assert env["PARSL_MPI_PREFIX"] == "srun -N 2 -n 6 --ntasks-per-node 3 --nodelist=n1,n2"
    assert env["PARSL_SRUN_PREFIX"] == env["PARSL_MPI_PREFIX"]
    assert env["PARSL_APRUN_PREFIX"] == "aprun -n 6 -N 3 -L n1,n2"
    assert env["PARSL_MPIEXEC_PREFIX"].startswith("mpiexec -n 6 ")
    assert (env["PARSL_NUM_NODES"], env["PARSL_NUM_RANKS"], env["PARSL_RANKS_PER_NODE"]) == (
        "2",
        "6",
        "3",
    )
    assert env["PARSL_MPI_NODELIST"] == "n1,n2"
    # Parsl's composer names give the same prefixes for the same nodes (mpiexec's may be
    # written in Open MPI's spelling here, where the composer writes MPICH's)
    composed = compose_all("srun", {"num_nodes": 2, "ranks_per_node": 3}, ["n1", "n2"])
    for name in ("PARSL_MPI_PREFIX", "PARSL_SRUN_PREFIX", "PARSL_APRUN_PREFIX"):
        assert composed[name] == env[name]
    one = ex.submit(mpi_env, {"num_ranks": 1, "launcher_options": "--exclusive"})
    env = one.result(timeout=30)["env"]
    assert env["PARSL_MPI_PREFIX"] == "srun -N 1 -n 1 --ntasks-per-node 1 --nodelist=n1 --exclusive"
    assert env["PARSL_NUM_NODES"] == "1"


def _overlap(a: dict[str, Any], b: dict[str, Any]) -> bool:
    return bool(a["start"] < b["end"] and b["start"] < a["end"])


def test_tasks_wait_until_their_nodes_are_free(
    make_htex: MakeHtex, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PARSL_MPI_NODELIST", "n1,n2")
    provider = LocalProvider(
        init_blocks=1, max_blocks=1, nodes_per_block=2, launcher=SimpleLauncher()
    )
    ex = make_htex(
        enable_mpi_mode=True, max_workers_per_node=2, provider=provider, **FAST_HEARTBEATS
    )
    whole = [ex.submit(mpi_env, {"num_nodes": 2, "num_ranks": 2}, 0.8) for _ in range(2)]
    a, b = (f.result(timeout=30) for f in whole)
    assert not _overlap(a, b), "two tasks held the same nodes at once"
    assert a["env"]["PARSL_MPI_NODELIST"] == b["env"]["PARSL_MPI_NODELIST"] == "n1,n2"
    halves = [ex.submit(mpi_env, {"num_ranks": 1}, 0.8) for _ in range(2)]
    c, d = (f.result(timeout=30) for f in halves)
    assert _overlap(c, d), "one-node tasks should run side by side on the two nodes"
    assert {c["env"]["PARSL_MPI_NODELIST"], d["env"]["PARSL_MPI_NODELIST"]} == {"n1", "n2"}


def test_a_task_bigger_than_the_discovered_block_fails_clearly(
    make_htex: MakeHtex, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PARSL_MPI_NODELIST", "only1")
    provider = LocalProvider(
        init_blocks=1, max_blocks=1, nodes_per_block=2, launcher=SimpleLauncher()
    )
    ex = make_htex(enable_mpi_mode=True, provider=provider, **FAST_HEARTBEATS)
    too_big = ex.submit(mpi_env, {"num_nodes": 2, "num_ranks": 2})
    with pytest.raises(InvalidResourceSpecification, match="more than the 1 node"):
        too_big.result(timeout=30)
    assert ex.submit(mpi_env, {"num_ranks": 1}).result(timeout=30)["env"]["PARSL_NUM_RANKS"] == "1"


def test_a_local_block_inside_a_batch_job_takes_tasks_as_wide_as_its_nodes(
    make_htex: MakeHtex, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Parsl's pattern: a LocalProvider (one node per block, as far as the provider knows)
    # run inside a batch job, its manager finding the job's nodes.
    monkeypatch.setenv("PARSL_MPI_NODELIST", "n1,n2,n3")
    provider = LocalProvider(init_blocks=1, max_blocks=1, launcher=SimpleLauncher())
    assert provider.nodes_per_block == 1
    ex = make_htex(enable_mpi_mode=True, provider=provider, **FAST_HEARTBEATS)
    wide = ex.submit(mpi_env, {"num_nodes": 3, "ranks_per_node": 1})
    assert wide.result(timeout=30)["env"]["PARSL_MPI_NODELIST"] == "n1,n2,n3"
    with pytest.raises(InvalidResourceSpecification, match="more than the 3 node"):
        ex.submit(mpi_env, {"num_nodes": 4, "ranks_per_node": 1}).result(timeout=30)


@bash_app
def mpi_hello(program: str, stdout: str, parsl_resource_specification: dict[str, Any]) -> str:
    return f"$PARSL_MPI_PREFIX {program}"


@pytest.mark.skipif(
    shutil.which("mpicc") is None or shutil.which("mpiexec") is None,
    reason="needs Open MPI (apt-get install openmpi-bin libopenmpi-dev; tools/setup-env does it)",
)
@pytest.mark.timeout(120)
def test_real_mpi_hello_world_runs_every_rank(
    run_dir: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = tmp_path / "hello.c"
    source.write_text(HELLO_C)
    program = tmp_path / "hello"
    subprocess.run(["mpicc", "-o", str(program), str(source)], check=True, timeout=60)
    if os.getuid() == 0:  # Open MPI refuses to run as root unless told twice
        monkeypatch.setenv("OMPI_ALLOW_RUN_AS_ROOT", "1")
        monkeypatch.setenv("OMPI_ALLOW_RUN_AS_ROOT_CONFIRM", "1")
    monkeypatch.delenv("PARSL_MPI_NODELIST", raising=False)
    executor = MPIExecutor(
        label="mpi",
        max_workers_per_block=1,
        provider=LocalProvider(init_blocks=1, max_blocks=1),
        **FAST_HEARTBEATS,
    )
    before = {p.pid for p in descendants()}
    out = tmp_path / "hello.out"
    spec = {"num_nodes": 1, "ranks_per_node": 4, "launcher_options": "--oversubscribe"}
    with parsl.load(Config(executors=[executor], run_dir=run_dir)):
        assert (
            mpi_hello(str(program), stdout=str(out), parsl_resource_specification=spec).result(
                timeout=90
            )
            == 0
        )
    lines = sorted(out.read_text().splitlines())
    assert lines == [f"hello from rank {r} of 4" for r in range(4)]
    left = wait_gone([p.pid for p in descendants() if p.pid not in before], timeout=10)
    assert not left

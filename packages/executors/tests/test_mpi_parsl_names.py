"""Parsl's mpi_prefix_composer and mpi_resource_management names, for code that imports them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from parsl.executors.high_throughput.mpi_prefix_composer import (
    VALID_LAUNCHERS,
    InvalidResourceSpecification,
    compose_all,
    compose_aprun_launch_cmd,
    compose_mpiexec_launch_cmd,
    compose_srun_launch_cmd,
    validate_resource_spec,
)
from parsl.executors.high_throughput.mpi_resource_management import (
    MPINodesUnavailable,
    Scheduler,
    get_nodes_in_batchjob,
    get_pbs_hosts_list,
    get_slurm_hosts_list,
    identify_scheduler,
)
from parsl.executors.high_throughput.mpi_resources import MPI_LAUNCHERS

pytestmark = pytest.mark.timeout(30)

SPEC = {"num_nodes": 2, "num_ranks": 8, "ranks_per_node": 4}
NODES = ["node1", "node2"]


def test_each_composer_names_its_variable_and_writes_the_command() -> None:
    assert set(VALID_LAUNCHERS) == set(MPI_LAUNCHERS)
    assert compose_srun_launch_cmd(SPEC, NODES) == (
        "PARSL_SRUN_PREFIX",
        "srun -N 2 -n 8 --ntasks-per-node 4 --nodelist=node1,node2",
    )
    assert compose_aprun_launch_cmd(SPEC, NODES) == (
        "PARSL_APRUN_PREFIX",
        "aprun -n 8 -N 4 -L node1,node2",
    )
    assert compose_mpiexec_launch_cmd({**SPEC, "launcher_options": "--cpu-bind none"}, NODES) == (
        "PARSL_MPIEXEC_PREFIX",
        "mpiexec -n 8 -ppn 4 -hosts node1,node2 --cpu-bind none",
    )


@pytest.mark.parametrize("launcher", VALID_LAUNCHERS)
def test_compose_all_points_the_default_at_the_chosen_launcher(launcher: str) -> None:
    table = compose_all(launcher, SPEC, NODES)
    assert set(table) == {
        "PARSL_MPI_PREFIX",
        "PARSL_SRUN_PREFIX",
        "PARSL_APRUN_PREFIX",
        "PARSL_MPIEXEC_PREFIX",
    }
    assert table["PARSL_MPI_PREFIX"] == table[f"PARSL_{launcher.upper()}_PREFIX"]
    assert table["PARSL_MPI_PREFIX"].startswith(launcher)


def test_validate_fills_in_what_the_spec_implies_in_place() -> None:
    spec: dict[str, Any] = {"num_nodes": 2, "ranks_per_node": 3}
    assert validate_resource_spec(spec) is None
    assert spec == {"num_nodes": 2, "ranks_per_node": 3, "num_ranks": 6}
    spec = {"num_nodes": "2", "num_ranks": "8"}  # whole numbers as text, as Parsl types them
    validate_resource_spec(spec)
    assert spec["ranks_per_node"] == 4
    spec = {"num_ranks": 4}  # without num_nodes nothing is added
    validate_resource_spec(spec)
    assert spec == {"num_ranks": 4}


@pytest.mark.parametrize(
    ("spec", "words"),
    [
        ({}, "needs parsl_resource_specification"),
        ({"num_ranks": 2, "walltime": 5}, "walltime"),
        ({"num_nodes": 2, "num_ranks": 5}, "does not divide evenly"),
        ({"num_nodes": 0, "num_ranks": 1}, "num_nodes must be an int >= 1"),
        ({"num_ranks": "two"}, "num_ranks must be an int >= 1"),
        ({"num_ranks": 1, "launcher_options": 7}, "launcher_options must be a string"),
        ("num_ranks=2", "expected a dict"),
    ],
)
def test_bad_specs_are_invalid_resource_specifications(spec: Any, words: str) -> None:
    with pytest.raises(InvalidResourceSpecification, match=words):
        validate_resource_spec(spec)
    with pytest.raises(InvalidResourceSpecification, match=words):
        compose_all("srun", spec, NODES)


def test_compose_all_refuses_an_unknown_launcher() -> None:
    with pytest.raises(ValueError, match="mpi_launcher 'mpirun': expected one of"):
        compose_all("mpirun", SPEC, NODES)


def test_the_scheduler_is_found_from_the_job_s_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("SLURM_NODELIST", "SLURM_JOB_NODELIST", "PBS_NODEFILE"):
        monkeypatch.delenv(name, raising=False)
    assert identify_scheduler() is Scheduler.Unknown
    monkeypatch.setenv("PBS_NODEFILE", "/nonexistent")
    assert identify_scheduler() is Scheduler.PBS
    monkeypatch.setenv("SLURM_JOB_NODELIST", "nid[001-002]")
    assert identify_scheduler() is Scheduler.Slurm


def test_slurm_and_pbs_node_lists(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("SLURM_NODELIST", raising=False)
    monkeypatch.setenv("SLURM_JOB_NODELIST", "nid[001-003,007],login1")
    assert get_slurm_hosts_list() == ["nid001", "nid002", "nid003", "nid007", "login1"]
    assert get_nodes_in_batchjob(Scheduler.Slurm) == get_slurm_hosts_list()
    nodefile = tmp_path / "nodes"
    nodefile.write_text("a\na\nb\nb\n\n")
    monkeypatch.setenv("PBS_NODEFILE", str(nodefile))
    # one line per slot, as PBS writes it (and as Parsl returns it)
    assert get_pbs_hosts_list() == ["a", "a", "b", "b"]
    assert get_nodes_in_batchjob(Scheduler.PBS) == ["a", "a", "b", "b"]


def test_outside_a_batch_job_the_errors_say_so(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("SLURM_NODELIST", "SLURM_JOB_NODELIST", "PBS_NODEFILE"):
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(RuntimeError, match=r"\$SLURM_JOB_NODELIST is not set"):
        get_slurm_hosts_list()
    with pytest.raises(RuntimeError, match=r"\$PBS_NODEFILE is not set"):
        get_pbs_hosts_list()
    with pytest.raises(RuntimeError, match="no node list is known for scheduler"):
        get_nodes_in_batchjob(Scheduler.Unknown)


def test_nodes_unavailable_says_how_many() -> None:
    err = MPINodesUnavailable(requested=4, available=1)
    assert (err.requested, err.available) == (4, 1)
    assert str(err) == "MPINodesUnavailable(requested=4 available=1)"

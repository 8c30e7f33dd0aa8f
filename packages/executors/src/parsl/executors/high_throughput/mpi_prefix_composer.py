"""Parsl's ``mpi_prefix_composer`` names: MPI launch prefixes for a resource specification.

For code written against Parsl that builds MPI command prefixes itself (an
MPI engine of its own, a task that launches a second MPI program). The rules
are MPI mode's own (:mod:`.mpi_resources`): the prefixes are exactly those an
MPI task of the :class:`~parsl.executors.MPIExecutor` finds in
``$PARSL_MPI_PREFIX`` and the per-launcher variables.
"""

from __future__ import annotations

from collections.abc import Mapping, MutableMapping, Sequence
from typing import Any

from parsl.executors.errors import InvalidResourceSpecification
from parsl.executors.high_throughput.mpi_resources import (
    MPITaskSpec,
    launcher_prefix,
    parse_mpi_spec,
)

__all__ = [
    "VALID_LAUNCHERS",
    "InvalidResourceSpecification",
    "compose_all",
    "compose_aprun_launch_cmd",
    "compose_mpiexec_launch_cmd",
    "compose_srun_launch_cmd",
    "validate_resource_spec",
]

VALID_LAUNCHERS = ("srun", "aprun", "mpiexec")
"""The ``mpi_launcher`` values, in Parsl's order."""


def _spec(resource_spec: Mapping[str, Any]) -> MPITaskSpec:
    """Parse ``resource_spec``; whole numbers written as text (``"2"``) count as numbers."""
    if not isinstance(resource_spec, Mapping):
        raise InvalidResourceSpecification([], f"expected a dict, got {resource_spec!r}")
    normal = {
        k: int(v) if isinstance(v, str) and k != "launcher_options" and v.strip().isdigit() else v
        for k, v in resource_spec.items()
        if k != "priority"
    }
    return parse_mpi_spec(normal)


def validate_resource_spec(resource_spec: MutableMapping[str, Any]) -> None:
    """Check an MPI task's resource specification; fill in what it implies, in place.

    Raises :class:`InvalidResourceSpecification` for an empty specification,
    unknown keys, counts that are not whole numbers >= 1, or ranks that do
    not divide evenly over the nodes. With ``num_nodes`` given, a missing
    ``num_ranks`` or ``ranks_per_node`` is written into ``resource_spec``.
    """
    spec = _spec(resource_spec)
    if "num_nodes" in resource_spec:
        resource_spec.setdefault("num_ranks", spec.num_ranks)
        resource_spec.setdefault("ranks_per_node", spec.ranks_per_node)


def _compose(launcher: str, resource_spec: Mapping[str, Any], node_hostnames: Sequence[str]) -> str:
    return launcher_prefix(launcher, _spec(resource_spec), list(node_hostnames))


def compose_mpiexec_launch_cmd(
    resource_spec: Mapping[str, Any], node_hostnames: Sequence[str]
) -> tuple[str, str]:
    """``("PARSL_MPIEXEC_PREFIX", prefix)``: mpiexec (MPICH / Cray PALS spelling) on the nodes."""
    return "PARSL_MPIEXEC_PREFIX", _compose("mpiexec", resource_spec, node_hostnames)


def compose_srun_launch_cmd(
    resource_spec: Mapping[str, Any], node_hostnames: Sequence[str]
) -> tuple[str, str]:
    """``("PARSL_SRUN_PREFIX", prefix)``: Slurm's srun on the nodes."""
    return "PARSL_SRUN_PREFIX", _compose("srun", resource_spec, node_hostnames)


def compose_aprun_launch_cmd(
    resource_spec: Mapping[str, Any], node_hostnames: Sequence[str]
) -> tuple[str, str]:
    """``("PARSL_APRUN_PREFIX", prefix)``: Cray's aprun on the nodes."""
    return "PARSL_APRUN_PREFIX", _compose("aprun", resource_spec, node_hostnames)


_COMPOSERS = {
    "srun": compose_srun_launch_cmd,
    "aprun": compose_aprun_launch_cmd,
    "mpiexec": compose_mpiexec_launch_cmd,
}


def compose_all(
    mpi_launcher: str, resource_spec: Mapping[str, Any], node_hostnames: Sequence[str]
) -> dict[str, str]:
    """Every launcher's prefix variable, and ``PARSL_MPI_PREFIX`` set to ``mpi_launcher``'s."""
    if mpi_launcher not in _COMPOSERS:
        raise ValueError(f"mpi_launcher {mpi_launcher!r}: expected one of {VALID_LAUNCHERS}")
    table = dict(composer(resource_spec, node_hostnames) for composer in _COMPOSERS.values())
    table["PARSL_MPI_PREFIX"] = table[f"PARSL_{mpi_launcher.upper()}_PREFIX"]
    return table

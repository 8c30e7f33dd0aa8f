"""Parsl's ``mpi_resource_management`` names: which batch scheduler, and the nodes of this job.

For code written against Parsl that asks for the nodes of the batch job it
runs in (``get_nodes_in_batchjob(Scheduler.PBS)``). The Slurm node list is
expanded here (no ``scontrol`` is run); PBS's node file is read as it is,
one line per slot.
"""

from __future__ import annotations

import os
from enum import Enum

from parsl.executors.high_throughput.mpi_resources import expand_slurm_nodelist

__all__ = [
    "MPINodesUnavailable",
    "Scheduler",
    "get_nodes_in_batchjob",
    "get_pbs_hosts_list",
    "get_slurm_hosts_list",
    "identify_scheduler",
]


class Scheduler(Enum):
    """The batch schedulers whose node lists are known."""

    Unknown = 0
    Slurm = 1
    PBS = 2


def _required(name: str) -> str:
    value = os.environ.get(name)
    if not value:
        raise RuntimeError(f"${name} is not set: this process is not inside such a batch job")
    return value


def get_slurm_hosts_list() -> list[str]:
    """The host names of this Slurm job, from ``$SLURM_NODELIST`` (or ``$SLURM_JOB_NODELIST``)."""
    nodelist = os.environ.get("SLURM_NODELIST") or _required("SLURM_JOB_NODELIST")
    return expand_slurm_nodelist(nodelist)


def get_pbs_hosts_list() -> list[str]:
    """The lines of ``$PBS_NODEFILE``: one per slot, so a node appears once per core it lends."""
    with open(_required("PBS_NODEFILE")) as f:
        return [line.strip() for line in f if line.strip()]


def get_nodes_in_batchjob(scheduler: Scheduler) -> list[str]:
    """The nodes of this job under ``scheduler``; RuntimeError for :attr:`Scheduler.Unknown`."""
    if scheduler is Scheduler.Slurm:
        return get_slurm_hosts_list()
    if scheduler is Scheduler.PBS:
        return get_pbs_hosts_list()
    raise RuntimeError(f"no node list is known for scheduler {scheduler!r} (Slurm or PBS only)")


def identify_scheduler() -> Scheduler:
    """The scheduler whose variables this process sees: Slurm, then PBS, else Unknown."""
    if os.environ.get("SLURM_NODELIST") or os.environ.get("SLURM_JOB_NODELIST"):
        return Scheduler.Slurm
    if os.environ.get("PBS_NODEFILE"):
        return Scheduler.PBS
    return Scheduler.Unknown


class MPINodesUnavailable(Exception):
    """An MPI task asked for more free nodes than there are."""

    def __init__(self, requested: int, available: int) -> None:
        super().__init__(requested, available)
        self.requested = requested
        self.available = available

    def __str__(self) -> str:
        return f"MPINodesUnavailable(requested={self.requested} available={self.available})"

"""MPI mode's pure parts: task specifications, launcher prefixes, node lists and node allocation.

No I/O happens here except reading the node-list file named by the
environment in :func:`discover_nodelist`. The manager (see :mod:`.manager`)
uses :class:`NodeAllocator` to hand ``num_nodes`` of its block's nodes to
each MPI task and take them back when the task ends, and
:func:`task_environment` to build the variables the task sees.
"""

from __future__ import annotations

import math
import re
import shlex
import socket
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from parsl.executors.errors import InvalidResourceSpecification

MPI_LAUNCHERS = ("mpiexec", "srun", "aprun")
"""The ``mpi_launcher`` values: which program prefixes an MPI task's command."""

MPI_SPEC_KEYS = frozenset({"num_nodes", "ranks_per_node", "num_ranks", "launcher_options"})
"""The resource-specification keys of an MPI task (``priority`` is allowed as well)."""

_PREFIX_VARIABLES = {
    "mpiexec": "PARSL_MPIEXEC_PREFIX",
    "srun": "PARSL_SRUN_PREFIX",
    "aprun": "PARSL_APRUN_PREFIX",
}


@dataclass(frozen=True)
class MPITaskSpec:
    """A validated MPI task specification: ``num_ranks == num_nodes * ranks_per_node``."""

    num_nodes: int
    ranks_per_node: int
    num_ranks: int
    launcher_options: str = ""


def _positive_int(key: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise InvalidResourceSpecification([key], f"{key} must be an int >= 1, got {value!r}")
    return value


def parse_mpi_spec(spec: Mapping[str, Any], nodes_available: int | None = None) -> MPITaskSpec:
    """Check an MPI task's resource specification and fill in what it implies.

    ``num_nodes`` defaults to 1; give ``ranks_per_node`` or ``num_ranks`` (or
    both, if they agree). ``nodes_available`` (the nodes in a block, when
    known) bounds ``num_nodes``. Raises InvalidResourceSpecification naming
    the offending keys.
    """
    if not isinstance(spec, Mapping):
        raise InvalidResourceSpecification([], f"expected a dict, got {spec!r}")
    unknown = set(spec) - MPI_SPEC_KEYS - {"priority"}
    if unknown:
        raise InvalidResourceSpecification(
            unknown, f"MPI tasks accept only {sorted(MPI_SPEC_KEYS | {'priority'})}"
        )
    if not set(spec) & MPI_SPEC_KEYS:
        raise InvalidResourceSpecification(
            sorted(MPI_SPEC_KEYS),
            "an MPI task needs parsl_resource_specification with num_ranks or "
            "ranks_per_node (and optionally num_nodes, launcher_options)",
        )
    num_nodes = _positive_int("num_nodes", spec.get("num_nodes", 1))
    rpn = spec.get("ranks_per_node")
    ranks = spec.get("num_ranks")
    if rpn is None and ranks is None:
        raise InvalidResourceSpecification(
            ["num_ranks", "ranks_per_node"], "give num_ranks or ranks_per_node (or both)"
        )
    if rpn is not None:
        rpn = _positive_int("ranks_per_node", rpn)
    if ranks is not None:
        ranks = _positive_int("num_ranks", ranks)
    if rpn is None:
        assert ranks is not None
        if ranks % num_nodes:
            raise InvalidResourceSpecification(
                ["num_ranks", "num_nodes"],
                f"num_ranks={ranks} does not divide evenly over num_nodes={num_nodes}",
            )
        rpn = ranks // num_nodes
    elif ranks is None:
        ranks = rpn * num_nodes
    elif ranks != rpn * num_nodes:
        raise InvalidResourceSpecification(
            ["num_ranks", "num_nodes", "ranks_per_node"],
            f"num_ranks={ranks} is not num_nodes={num_nodes} * ranks_per_node={rpn}",
        )
    options = spec.get("launcher_options", "")
    if not isinstance(options, str):
        raise InvalidResourceSpecification(
            ["launcher_options"], f"launcher_options must be a string, got {options!r}"
        )
    if nodes_available is not None and num_nodes > nodes_available:
        raise InvalidResourceSpecification(
            ["num_nodes"],
            f"num_nodes={num_nodes} is more than the {nodes_available} node(s) of a block",
        )
    return MPITaskSpec(num_nodes, rpn, ranks, options.strip())


def launcher_prefix(
    launcher: str, spec: MPITaskSpec, nodes: Sequence[str], *, openmpi: bool = False
) -> str:
    """The command prefix that starts ``spec``'s ranks on ``nodes`` with ``launcher``.

    ``mpiexec`` is written for MPICH / Cray PALS (``-ppn``, ``-hosts``);
    ``openmpi=True`` writes Open MPI's spelling (``-npernode``, ``--host
    node:slots``).
    """
    opts = [spec.launcher_options] if spec.launcher_options else []
    hosts = ",".join(nodes)
    if launcher == "mpiexec":
        if openmpi:
            slots = ",".join(f"{n}:{spec.ranks_per_node}" for n in nodes)
            words = ["mpiexec", "-n", str(spec.num_ranks), "-npernode", str(spec.ranks_per_node)]
            words += ["--host", slots]
        else:
            words = ["mpiexec", "-n", str(spec.num_ranks), "-ppn", str(spec.ranks_per_node)]
            words += ["-hosts", hosts]
    elif launcher == "srun":
        words = ["srun", "-N", str(spec.num_nodes), "-n", str(spec.num_ranks)]
        words += ["--ntasks-per-node", str(spec.ranks_per_node), f"--nodelist={hosts}"]
    elif launcher == "aprun":
        words = ["aprun", "-n", str(spec.num_ranks), "-N", str(spec.ranks_per_node)]
        words += ["-L", hosts]
    else:
        raise ValueError(f"mpi_launcher {launcher!r}: expected one of {MPI_LAUNCHERS}")
    return " ".join([shlex.join(words), *opts])


def task_environment(
    launcher: str, spec: MPITaskSpec, nodes: Sequence[str], *, openmpi: bool = False
) -> dict[str, str]:
    """The environment variables an MPI task runs with on ``nodes``."""
    env = {
        "PARSL_NUM_NODES": str(spec.num_nodes),
        "PARSL_NUM_RANKS": str(spec.num_ranks),
        "PARSL_RANKS_PER_NODE": str(spec.ranks_per_node),
        "PARSL_MPI_NODELIST": ",".join(nodes),
    }
    for name, variable in _PREFIX_VARIABLES.items():
        env[variable] = launcher_prefix(name, spec, nodes, openmpi=openmpi and name == "mpiexec")
    env["PARSL_MPI_PREFIX"] = env[_PREFIX_VARIABLES[launcher]]
    return env


# ------------------------------------------------------------------ node lists

_SLURM_GROUP = re.compile(r"([^,\[]*)(?:\[([^\]]*)\])?([^,\[]*)")


def expand_slurm_nodelist(nodelist: str) -> list[str]:
    """Expand a Slurm node list such as ``nid[001-003,007],login1`` into host names."""
    out: list[str] = []
    pos = 0
    text = nodelist.strip()
    while pos < len(text):
        m = _SLURM_GROUP.match(text, pos)
        if m is None or m.end() == pos:
            raise ValueError(f"cannot parse Slurm node list {nodelist!r}")
        head, ranges, tail = m.groups()
        if ranges is None:
            if head:
                out.append(head + tail)
        else:
            for part in ranges.split(","):
                lo, dash, hi = part.partition("-")
                if not lo.isdigit() or (dash and not hi.isdigit()):
                    raise ValueError(f"cannot parse Slurm node list {nodelist!r}")
                width = len(lo)
                for i in range(int(lo), int(hi or lo) + 1):
                    out.append(f"{head}{i:0{width}d}{tail}")
        pos = m.end()
        if pos < len(text) and text[pos] == ",":
            pos += 1
    return out


def discover_nodelist(env: Mapping[str, str]) -> list[str]:
    """The block's nodes: ``PARSL_MPI_NODELIST``, Slurm's, PBS's node file, else this host.

    Repeated names (a PBS node file lists a node once per slot) are kept once,
    in order of first appearance.
    """
    names: list[str]
    if env.get("PARSL_MPI_NODELIST"):
        names = [n.strip() for n in env["PARSL_MPI_NODELIST"].split(",")]
    elif env.get("SLURM_NODELIST") or env.get("SLURM_JOB_NODELIST"):
        names = expand_slurm_nodelist(env.get("SLURM_NODELIST") or env["SLURM_JOB_NODELIST"])
    elif env.get("PBS_NODEFILE"):
        with open(env["PBS_NODEFILE"]) as f:
            names = [line.strip() for line in f]
    else:
        names = [socket.gethostname()]
    return list(dict.fromkeys(n for n in names if n))


class NodeAllocator:
    """Hands out a block's nodes to tasks and takes them back; each node runs one task at a time."""

    def __init__(self, nodes: Sequence[str]) -> None:
        if not nodes:
            raise ValueError("an MPI block needs at least one node")
        if len(set(nodes)) != len(nodes):
            raise ValueError(f"node names repeat in {list(nodes)}")
        self.nodes = list(nodes)
        self._free = list(nodes)
        self._held: dict[int, list[str]] = {}

    @property
    def free(self) -> list[str]:
        """Nodes no task holds, in block order."""
        return [n for n in self.nodes if n in self._free]

    def fits_ever(self, num_nodes: int) -> bool:
        """Whether a task of ``num_nodes`` nodes can run in this block at all."""
        return 1 <= num_nodes <= len(self.nodes)

    def allocate(self, task_id: int, num_nodes: int) -> list[str] | None:
        """Give ``task_id`` ``num_nodes`` free nodes, or None (and change nothing) when too few are free."""
        if task_id in self._held:
            raise ValueError(f"task {task_id} already holds nodes {self._held[task_id]}")
        if not self.fits_ever(num_nodes):
            raise ValueError(f"num_nodes={num_nodes}: this block has {len(self.nodes)} node(s)")
        if num_nodes > len(self._free):
            return None
        free = self.free
        taken, self._free = free[:num_nodes], free[num_nodes:]
        self._held[task_id] = taken
        return taken

    def release(self, task_id: int) -> list[str]:
        """Return ``task_id``'s nodes (none if it held none)."""
        nodes = self._held.pop(task_id, [])
        self._free += nodes
        return nodes

    def holder_count(self) -> int:
        """How many tasks hold nodes now."""
        return len(self._held)


def max_concurrent_tasks(max_workers: float, nodes: int) -> int:
    """Workers in MPI mode: ``max_workers`` if finite, else one per node."""
    return int(max_workers) if math.isfinite(max_workers) else nodes

"""How many workers a node runs and which CPUs each may use.

Shared by the worker pool and the executor (which sizes blocks before any
starts), so the client does not import the worker side to read them. The
number of workers is the smallest of ``max_workers_per_node``, the CPUs
available divided by ``cores_per_worker``, the available memory divided by
``mem_per_worker`` and the number of accelerators (when some are given),
and at least one.
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence

AFFINITY_POLICIES = ("none", "block", "block-reverse", "alternating")
"""Named ``cpu_affinity`` policies; ``list:0,1:2,3`` gives each worker an explicit CPU list."""


def available_cpus() -> list[int]:
    """The CPU ids this process may run on."""
    if hasattr(os, "sched_getaffinity"):
        return sorted(os.sched_getaffinity(0))
    return list(range(os.cpu_count() or 1))  # pragma: no cover - not Linux


def available_memory_gb() -> float:
    """Memory available for new processes, in GB (inf when it cannot be read)."""
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) / 2**20
    except OSError:  # pragma: no cover - no procfs
        pass
    return math.inf  # pragma: no cover


def worker_count(
    max_workers_per_node: float,
    cores_per_worker: float,
    mem_per_worker: float | None,
    accelerators: Sequence[str],
    cpus: float,
    memory_gb: float,
) -> int:
    """How many workers a node runs (see the module docstring); at least one.

    ``cpus`` or ``memory_gb`` may be ``math.inf`` (unknown: no limit); with no
    limit at all the answer is 1.
    """
    limits = [max_workers_per_node, cpus / cores_per_worker]
    if mem_per_worker:
        limits.append(memory_gb / mem_per_worker)
    if accelerators:
        limits.append(len(accelerators))
    best = min(limits)
    return 1 if math.isinf(best) else max(1, math.floor(best))


def cpu_sets(policy: str, workers: int, cores_per_worker: float, cpus: Sequence[int]) -> list[str]:
    """The CPU list (``"0,1"``) for each worker under ``policy``; empty for ``none``.

    ``block`` gives worker *i* the *i*-th run of ``cores_per_worker`` CPUs,
    ``block-reverse`` the same counted from the last CPU, ``alternating``
    every ``workers``-th CPU starting at *i*; ``list:0,1:2,3`` gives worker
    0 CPUs 0 and 1, worker 1 CPUs 2 and 3 (workers beyond the list reuse it
    from the start).
    """
    if policy == "none":
        return []
    if policy.startswith("list:"):
        sets = [s.strip() for s in policy[len("list:") :].split(":")]
        if not sets or not all(s and all(c.isdigit() for c in s.split(",")) for s in sets):
            raise ValueError(f"cpu_affinity {policy!r}: expected 'list:0,1:2,3'")
        return [sets[i % len(sets)] for i in range(workers)]
    per_worker = max(1, math.floor(cores_per_worker))
    ordered = list(cpus)
    if policy == "block-reverse":
        ordered.reverse()
    elif policy == "alternating":
        ordered = [ordered[j] for i in range(workers) for j in range(i, len(ordered), workers)]
    elif policy != "block":
        raise ValueError(
            f"cpu_affinity {policy!r}: expected one of {AFFINITY_POLICIES} or 'list:...'"
        )
    out = []
    for i in range(workers):
        chunk = [ordered[(i * per_worker + k) % len(ordered)] for k in range(per_worker)]
        out.append(",".join(str(c) for c in sorted(chunk)))
    return out

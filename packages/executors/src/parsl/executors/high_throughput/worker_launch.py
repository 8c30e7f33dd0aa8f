"""What a HighThroughputExecutor's blocks run, read from its options.

The executor's ``_launch_command``, ``workers_per_node``,
``effective_drain_period`` and ``_worker_logdir`` are these functions; the
:class:`~.blocks.BlockPool` gets the first as a plain
``block_id -> command`` function and knows nothing else of the options.
"""

from __future__ import annotations

import logging
import math
import os
from typing import TYPE_CHECKING

from parsl.executors.high_throughput import options
from parsl.executors.high_throughput.mpi_resources import max_concurrent_tasks
from parsl.executors.high_throughput.worker_sizing import available_cpus, worker_count
from parsl.jobs.walltime import drain_before_walltime, walltime_to_seconds

if TYPE_CHECKING:
    from parsl.executors.high_throughput.executor import HighThroughputExecutor

logger = logging.getLogger(__name__)


def workers_per_node(htex: HighThroughputExecutor) -> int:
    """Workers each node of a block runs, as the strategy counts slots.

    As in Parsl, from the provider's ``cores_per_node`` and ``mem_per_node``
    when it gives them (a SlurmProvider told the node size), with
    ``cores_per_worker``, ``mem_per_worker``, ``available_accelerators`` and
    ``max_workers_per_node``. A LocalProvider's blocks run on this machine,
    so without ``cores_per_node`` its CPUs count; for any other provider an
    unknown node size sets no limit, and with no limit at all the count is 1
    (Parsl's guess). The manager on the node still counts its own CPUs and
    memory when it starts workers.
    """
    if htex.enable_mpi_mode:  # MPI tasks at once per block (one manager per block)
        return max_concurrent_tasks(htex.max_workers_per_node, htex.provider.nodes_per_block)
    from parsl.providers.local.local import LocalProvider

    provider = htex.provider
    cores = getattr(provider, "cores_per_node", None)
    if cores is None and isinstance(provider, LocalProvider):
        cores = len(available_cpus())
    memory = getattr(provider, "mem_per_node", None)
    return worker_count(  # the manager's own rule, with the provider's figures for the node
        htex.max_workers_per_node,
        htex.cores_per_worker,
        htex.mem_per_worker,
        htex.available_accelerators,
        math.inf if cores is None else cores,
        math.inf if memory is None else memory,
    )


def effective_drain_period(htex: HighThroughputExecutor) -> float | None:
    """Seconds after start when a manager stops taking tasks.

    ``drain_period`` if given; otherwise, when the provider's scheduler
    enforces walltime, shortly before the block's walltime runs out, so no
    task is sent to a block about to be killed (walltime-aware dispatch).
    """
    if htex.drain_period is not None:
        return htex.drain_period
    provider = htex.provider
    if not getattr(provider, "walltime_enforced", False):
        return None
    try:
        return drain_before_walltime(walltime_to_seconds(provider.walltime))
    except Exception:
        logger.warning(
            "htex %s: cannot read provider walltime %r",
            htex.label,
            getattr(provider, "walltime", None),
        )
        return None


def worker_logdir(htex: HighThroughputExecutor) -> str:
    """Where worker pools write their logs (``block-N/<manager>/`` under it), as in Parsl."""
    assert htex.logdir is not None
    if htex.worker_logdir_root is not None:
        return os.path.join(htex.worker_logdir_root, htex.label)
    return htex.logdir


def launch_command(htex: HighThroughputExecutor, block_id: str, worker_port: int) -> str:
    """The command block ``block_id`` runs: ``launch_cmd`` filled from the executor's options."""
    return options.render_launch_cmd(
        htex.launch_cmd,
        block_id,
        address=htex.address,
        worker_port=worker_port,
        max_workers_per_node=htex.max_workers_per_node,
        cores_per_worker=htex.cores_per_worker,
        mem_per_worker=htex.mem_per_worker,
        prefetch_capacity=htex.prefetch_capacity,
        heartbeat_period=htex.heartbeat_period,
        heartbeat_threshold=htex.heartbeat_threshold,
        poll_period=htex.poll_period,
        logdir=worker_logdir(htex),
        cpu_affinity=htex.cpu_affinity,
        drain_period=effective_drain_period(htex),
        accelerators=htex.available_accelerators,
        cert_dir=htex.cert_dir,
        debug=htex.worker_debug,
        mpi=htex.mpi_launcher if htex.enable_mpi_mode else None,
        address_probe_timeout=htex.address_probe_timeout,
        log_config=htex.log_config_path,
    )

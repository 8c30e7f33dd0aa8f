"""The worker pool's command line (console script ``parsl-worker-pool``).

A block runs one copy per node of::

    parsl-worker-pool --address 10.0.0.1 --port 54321 --block-id 0 \\
        --max-workers-per-node 4 --logdir /path/to/logs

(the executor builds this command, as ``python -m
parsl.executors.high_throughput.worker_pool ...`` with its own Python). The
number of workers is decided by :mod:`.worker_sizing`. With ``--enable-mpi-mode`` it is ``--max-workers-per-node``
(one per node of the block when unlimited): each worker launches one MPI
task onto nodes of the block, found by
:func:`~.mpi_resources.discover_nodelist`.
"""

from __future__ import annotations

import argparse
import logging
import math
import os
import shutil
import signal
import subprocess
import sys
import uuid
from typing import Any, NoReturn

from parsl.executors.high_throughput.address_probe import NoReachableAddress, probe_addresses
from parsl.executors.high_throughput.manager import Manager, ManagerExit, ManagerSettings
from parsl.executors.high_throughput.mpi_resources import (
    MPI_LAUNCHERS,
    discover_nodelist,
    max_concurrent_tasks,
)
from parsl.executors.high_throughput.worker_sizing import (
    AFFINITY_POLICIES,
    available_cpus,
    available_memory_gb,
    cpu_sets,
    worker_count,
)
from parsl.logconfigs.base import initialize_from_file

logger = logging.getLogger("parsl.executors.high_throughput.manager")

__all__ = [
    "AFFINITY_POLICIES",
    "available_cpus",
    "available_memory_gb",
    "build_parser",
    "cpu_sets",
    "main",
    "settings_from_args",
    "worker_count",
]


def build_parser() -> argparse.ArgumentParser:
    """The worker pool's argument parser."""
    p = argparse.ArgumentParser(prog="parsl-worker-pool", description=__doc__.split("\n")[0])
    p.add_argument("--address", required=True, help="interchange address(es), comma-separated")
    p.add_argument("--port", type=int, required=True, help="the interchange's worker port")
    p.add_argument("--block-id", default=None)
    p.add_argument("--manager-id", default=None, help="default: a fresh unique id")
    p.add_argument("--max-workers-per-node", type=float, default=math.inf)
    p.add_argument("--cores-per-worker", type=float, default=1.0)
    p.add_argument("--mem-per-worker", type=float, default=None, help="GB per worker")
    p.add_argument("--prefetch-capacity", type=int, default=0)
    p.add_argument("--heartbeat-period", type=float, default=30.0)
    p.add_argument("--heartbeat-threshold", type=float, default=120.0)
    p.add_argument("--poll-period", type=int, default=10, help="milliseconds")
    p.add_argument("--drain-period", type=float, default=None, help="seconds")
    p.add_argument("--logdir", default=".")
    p.add_argument(
        "--log-config",
        default=None,
        help="a pickled parsl.logconfigs LogConfig: set up as manager and worker_N in the logdir",
    )
    p.add_argument("--debug", action="store_true")
    p.add_argument("--cert-dir", default=None, help="CurveZMQ keys; omit for no encryption")
    p.add_argument("--cpu-affinity", default="none")
    p.add_argument("--available-accelerators", default="", help="comma-separated names")
    p.add_argument("--enable-mpi-mode", action="store_true", help="run MPI tasks on block nodes")
    p.add_argument("--mpi-launcher", default="mpiexec", choices=MPI_LAUNCHERS)
    p.add_argument(
        "--address-probe-timeout",
        type=float,
        default=30.0,
        help="seconds to find a reachable address among several --address values",
    )
    return p


def mpiexec_is_openmpi() -> bool:
    """Whether the ``mpiexec`` on PATH is Open MPI's (which spells its options differently)."""
    program = shutil.which("mpiexec")
    if program is None:
        return False
    try:
        out = subprocess.run(
            [program, "--version"], capture_output=True, text=True, timeout=10, check=False
        )
    except (OSError, subprocess.TimeoutExpired):
        return False
    text = out.stdout + out.stderr
    return "Open MPI" in text or "OpenRTE" in text


def settings_from_args(args: argparse.Namespace) -> ManagerSettings:
    """Turn parsed arguments into :class:`ManagerSettings`, sizing the pool for this node."""
    accelerators = [a for a in args.available_accelerators.split(",") if a]
    cpus = available_cpus()
    count = worker_count(
        args.max_workers_per_node,
        args.cores_per_worker,
        args.mem_per_worker,
        accelerators,
        len(cpus),
        available_memory_gb(),
    )
    nodes: list[str] = []
    if args.enable_mpi_mode:
        nodes = discover_nodelist(os.environ)
        count = max_concurrent_tasks(args.max_workers_per_node, len(nodes))
    manager_id = args.manager_id or uuid.uuid4().hex[:16]
    block = args.block_id if args.block_id is not None else "none"
    address = probe_addresses(args.address.split(","), args.port, args.address_probe_timeout)
    return ManagerSettings(
        address=address,
        port=args.port,
        manager_id=manager_id,
        block_id=args.block_id,
        worker_count=count,
        prefetch_capacity=args.prefetch_capacity,
        heartbeat_period=args.heartbeat_period,
        heartbeat_threshold=args.heartbeat_threshold,
        poll_period_ms=args.poll_period,
        drain_period=args.drain_period,
        logdir=os.path.join(args.logdir, f"block-{block}", manager_id),
        debug=args.debug,
        cert_dir=args.cert_dir,
        cpu_sets=cpu_sets(args.cpu_affinity, count, args.cores_per_worker, cpus),
        accelerators=accelerators,
        mpi_launcher=args.mpi_launcher if args.enable_mpi_mode else None,
        mpi_nodes=nodes,
        openmpi=args.enable_mpi_mode and args.mpi_launcher == "mpiexec" and mpiexec_is_openmpi(),
        log_config_path=args.log_config,
    )


def _on_sigterm(*_: Any) -> NoReturn:
    raise ManagerExit("received SIGTERM")


def main(argv: list[str] | None = None) -> int:
    """Run one manager until it is told to stop; exit 0 unless it was refused or failed."""
    args = build_parser().parse_args(argv)
    try:
        settings = settings_from_args(args)
    except (ValueError, NoReachableAddress) as e:
        print(f"parsl-worker-pool: {e}", file=sys.stderr)
        return 2
    os.makedirs(settings.logdir, exist_ok=True)
    if settings.log_config_path is not None:
        try:
            initialize_from_file(
                settings.log_config_path, log_dir=settings.logdir, log_name="manager"
            )
        except ValueError as e:
            print(f"parsl-worker-pool: {e}", file=sys.stderr)
            return 2
    else:
        handler = logging.FileHandler(os.path.join(settings.logdir, "manager.log"))
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
        logger.addHandler(handler)
        logger.setLevel(logging.DEBUG if settings.debug else logging.INFO)
    logger.info("manager %s starting with %d workers", settings.manager_id, settings.worker_count)
    signal.signal(signal.SIGTERM, _on_sigterm)
    manager = Manager(settings)
    try:
        why = manager.run()
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        manager.close()
    logger.info("manager %s exited: %s", settings.manager_id, why.reason)
    if why.failed:
        print(f"parsl-worker-pool: {why.reason}", file=sys.stderr)
    return 1 if why.failed else 0


if __name__ == "__main__":
    sys.exit(main())

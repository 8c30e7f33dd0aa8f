"""The exact batch script one block of an entry would submit, rendered by the real provider."""

from __future__ import annotations

import json
import os
import shlex
import sys
from typing import Any

from parsl.configs.build import build_executor
from parsl.configs.schema import Entry
from parsl.errors import ConfigurationError

#: Stand-ins for what is known only once the executor runs.
ADDRESS_PLACEHOLDER = "<submit-host-address>"
DEFAULT_SCRIPT_DIR = "runinfo/submit_scripts"


def worker_command(executor: Any, script_dir: str, block_id: str = "0") -> str:
    """The worker-pool command HighThroughputExecutor would give block ``block_id``."""
    from parsl.executors.high_throughput import options

    logdir = os.path.join(os.path.dirname(script_dir) or ".", executor.label)
    return str(
        options.render_launch_cmd(
            executor.launch_cmd,
            block_id,
            address=ADDRESS_PLACEHOLDER,
            worker_port=executor.worker_port or executor.worker_port_range[0],
            max_workers_per_node=executor.max_workers_per_node,
            cores_per_worker=executor.cores_per_worker,
            mem_per_worker=executor.mem_per_worker,
            prefetch_capacity=executor.prefetch_capacity,
            heartbeat_period=executor.heartbeat_period,
            heartbeat_threshold=executor.heartbeat_threshold,
            poll_period=executor.poll_period,
            logdir=logdir,
            cpu_affinity=executor.cpu_affinity,
            drain_period=executor.drain_period,
            accelerators=executor.available_accelerators,
            cert_dir=None,
            debug=executor.worker_debug,
            mpi=executor.mpi_launcher if executor.enable_mpi_mode else None,
        )
    )


def render_block_script(
    entry: Entry, params: dict[str, Any], *, script_dir: str = DEFAULT_SCRIPT_DIR
) -> str:
    """The script the entry's provider writes for block 0, for ``params``.

    For a Kubernetes entry, the JSON of the pods block 0 would create.

    Batch providers render with their own scheduler (the same
    ``render_submit_script`` their ``submit`` uses) around the
    launcher-wrapped worker command. A LocalProvider has no batch script:
    the result is the shell text it runs (worker_init, then the command).
    """
    from parsl.launchers.base import call_launcher
    from parsl.providers.cluster.scheduler import SubmitContext
    from parsl.providers.cluster.shell import ClusterProvider

    executor = build_executor(entry, params, resolve_address=False)
    provider = executor.provider
    if provider is None:
        raise ConfigurationError(f"{entry.name}: its executor has no provider to render")
    command = worker_command(executor, script_dir)
    job_name = f"parsl.{executor.label}.block-0"
    if entry.scheduler == "kubernetes":
        # A block is pods, not a batch script: the result is the pod objects, as JSON.
        # The owner label is random per provider object; a fixed one keeps the text reproducible.
        provider.owner = "rendered00"
        _, pods = provider.manifests(command, job_name)
        return json.dumps(pods, indent=2) + "\n"
    launched = call_launcher(provider.launcher, command, 1, provider.nodes_per_block, script_dir)
    if isinstance(provider, ClusterProvider):
        base = os.path.join(script_dir, job_name)
        ctx = SubmitContext(
            job_name=job_name,
            nodes_per_block=provider.nodes_per_block,
            tasks_per_node=1,
            walltime=provider.walltime,
            scheduler_options=provider.scheduler_options,
            worker_init=provider.worker_init,
            command=launched,
            stdout_path=base + ".stdout",
            stderr_path=base + ".stderr",
            options=provider.scheduler_settings(),
        )
        return provider.scheduler.render_submit_script(ctx)
    worker_init = getattr(provider, "worker_init", "")
    return f"#!/bin/bash\n# {type(provider).__name__}: run directly, no batch script\n{worker_init}\n{launched}\n"


def normalize_for_golden(script: str) -> str:
    """Replace this machine's Python path, so a golden file does not depend on where it ran."""
    return script.replace(shlex.quote(sys.executable), "<python>")

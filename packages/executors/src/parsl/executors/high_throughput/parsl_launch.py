"""Parsl-style ``launch_cmd`` templates: the ``process_worker_pool.py {debug} ... --block_id={{block_id}}`` form.

A ``launch_cmd`` copied from a Parsl configuration (often prefixed with a
container runtime or ``numactl``) uses Parsl's placeholders and is filled in
two passes, as Parsl documents it: first the executor's settings, then
``block_id`` for each block (hence ``{{block_id}}``). Such a template is
recognised by ``{{block_id}}`` or by any placeholder only Parsl's form has,
and it runs our worker pool through the ``process_worker_pool.py`` console
script (see :mod:`.process_worker_pool`), which reads Parsl's flags.

Placeholders, and what they become:

=================================  ===============================================
``{debug}``                        ``--debug`` or nothing
``{max_workers_per_node}``         ``--max_workers_per_node=N`` or nothing (no limit)
``{max_workers}``                  ``--max_workers=N`` or nothing (older Parsl)
``{addresses}``                    the executor's ``address`` (comma-separated list)
``{worker_port}``                  the interchange's worker port
``{task_port}``, ``{result_port}`` the same port (older Parsl had two)
``{address_probe_timeout_string}`` ``--address_probe_timeout=N`` or nothing
``{enable_mpi_mode}``              ``--enable_mpi_mode`` or nothing
``{accelerators}``                 the accelerator names, space-separated
``{start_method}``                 ``spawn``
``{logconf}``                      the run's pickled LogConfig file, or ``None``
others                             the executor's setting of that name; ``None``
                                   where unset (``mem_per_worker``, ``cert_dir``,
                                   ``drain_period``)
=================================  ===============================================
"""

from __future__ import annotations

import math
import string
from collections.abc import Mapping, Sequence
from typing import Any

from parsl.errors import bad_value

PARSL_DEFAULT_LAUNCH_CMD = (
    "process_worker_pool.py {debug} {max_workers_per_node} -a {addresses}"
    " -p {prefetch_capacity} -c {cores_per_worker} -m {mem_per_worker}"
    " --poll {poll_period} --port={worker_port} --cert_dir {cert_dir} --logdir={logdir}"
    " --logconf={logconf} --block_id={{block_id}} --hb_period={heartbeat_period} {address_probe_timeout_string}"
    " --hb_threshold={heartbeat_threshold} --drain_period={drain_period}"
    " --cpu-affinity {cpu_affinity} {enable_mpi_mode} --mpi-launcher={mpi_launcher}"
    " --available-accelerators {accelerators}"
)
"""The worker command as Parsl's own configurations spell it (our default is ``DEFAULT_LAUNCH_CMD``)."""

PARSL_ONLY_FIELDS = frozenset(
    {
        "addresses",
        "task_port",
        "result_port",
        "address_probe_timeout_string",
        "enable_mpi_mode",
        "mpi_launcher",
        "max_workers",
        "start_method",
    }
)

PARSL_FIELDS = PARSL_ONLY_FIELDS | {
    "debug",
    "max_workers_per_node",
    "prefetch_capacity",
    "cores_per_worker",
    "mem_per_worker",
    "poll_period",
    "worker_port",
    "cert_dir",
    "logdir",
    "heartbeat_period",
    "heartbeat_threshold",
    "drain_period",
    "cpu_affinity",
    "accelerators",
    "logconf",
}


def field_names(template: str) -> set[str]:
    """The ``{names}`` a format string uses (empty when it cannot be parsed)."""
    try:
        return {name for _, name, _, _ in string.Formatter().parse(template) if name}
    except ValueError:
        return set()


def is_parsl_style(template: str) -> bool:
    """Whether ``template`` is written in Parsl's two-pass form."""
    return "{{block_id}}" in template or bool(field_names(template) & PARSL_ONLY_FIELDS)


class _Probe(dict[str, str]):
    def __missing__(self, key: str) -> str:
        if key not in PARSL_FIELDS:
            raise KeyError(f"unknown field {{{key}}}")
        return "x"


def check_parsl_launch_cmd(template: str) -> str:
    """``template`` itself if both passes can fill it; else a ConfigurationError naming the field."""
    try:
        first = template.format_map(_Probe())
        first.format(block_id="0")
    except (KeyError, ValueError, IndexError) as e:
        raise bad_value(
            "launch_cmd",
            template,
            "a Parsl-style template using only "
            f"{{fields}} from {sorted(PARSL_FIELDS)} and {{{{block_id}}}} ({e})",
        ) from None
    return template


def _option(flag: str, value: Any) -> str:
    return f"{flag}={value}" if value is not None else ""


def parsl_field_values(
    *,
    address: str,
    worker_port: int,
    max_workers_per_node: float,
    cores_per_worker: float,
    mem_per_worker: float | None,
    prefetch_capacity: int,
    heartbeat_period: float,
    heartbeat_threshold: float,
    poll_period: int,
    logdir: str,
    cpu_affinity: str,
    drain_period: float | None,
    accelerators: Sequence[str],
    cert_dir: str | None,
    debug: bool,
    mpi_launcher: str | None,
    address_probe_timeout: int | None,
    log_config: str | None = None,
) -> dict[str, Any]:
    """The first-pass values, spelled as Parsl's worker pool reads them."""
    limit = None if math.isinf(max_workers_per_node) else int(max_workers_per_node)
    return {
        "debug": "--debug" if debug else "",
        "max_workers_per_node": _option("--max_workers_per_node", limit),
        "max_workers": _option("--max_workers", limit),
        "addresses": address,
        "prefetch_capacity": prefetch_capacity,
        "cores_per_worker": cores_per_worker,
        "mem_per_worker": mem_per_worker,
        "poll_period": poll_period,
        "worker_port": worker_port,
        "task_port": worker_port,
        "result_port": worker_port,
        "cert_dir": cert_dir,
        "logdir": logdir,
        "heartbeat_period": heartbeat_period,
        "heartbeat_threshold": heartbeat_threshold,
        "address_probe_timeout_string": _option("--address_probe_timeout", address_probe_timeout),
        "drain_period": drain_period,
        "cpu_affinity": cpu_affinity,
        "enable_mpi_mode": "--enable_mpi_mode" if mpi_launcher else "",
        "mpi_launcher": mpi_launcher or "mpiexec",
        "accelerators": " ".join(accelerators),
        "start_method": "spawn",
        "logconf": log_config,
    }


def render_parsl_launch_cmd(template: str, block_id: str, values: Mapping[str, Any]) -> str:
    """Fill ``template`` in Parsl's two passes: settings, then ``block_id``."""
    return template.format(**values).format(block_id=block_id).strip()

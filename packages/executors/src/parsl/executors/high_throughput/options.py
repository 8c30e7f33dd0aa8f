"""Validation of HighThroughputExecutor's constructor arguments, and its worker-pool command.

Each ``check_*`` returns the normalised value or raises
:class:`~parsl.errors.ConfigurationError` naming the field, the value and
what is expected.
"""

from __future__ import annotations

import ipaddress
import math
import shlex
import sys
from collections.abc import Sequence
from typing import Any, TypeVar

from parsl.argument_checks import check_int, check_positive
from parsl.errors import bad_value
from parsl.executors.errors import InvalidResourceSpecification
from parsl.executors.high_throughput import parsl_launch
from parsl.executors.high_throughput.errors import MPILauncherError, UnknownMPILauncher
from parsl.executors.high_throughput.mpi_resources import (
    MPI_LAUNCHERS,
    MPI_SPEC_KEYS,
    parse_mpi_spec,
)
from parsl.executors.high_throughput.worker_sizing import AFFINITY_POLICIES
from parsl.monitoring.radios.base import RadioConfig
from parsl.monitoring.radios.htex import HTEXRadio

DEFAULT_LAUNCH_CMD = (
    "{python} -m parsl.executors.high_throughput.worker_pool"
    " --address {address} --port {worker_port} --block-id {block_id}"
    " --max-workers-per-node {max_workers_per_node} --cores-per-worker {cores_per_worker}"
    " --mem-per-worker {mem_per_worker} --prefetch-capacity {prefetch_capacity}"
    " --heartbeat-period {heartbeat_period} --heartbeat-threshold {heartbeat_threshold}"
    " --poll-period {poll_period} --logdir {logdir} --cpu-affinity {cpu_affinity}"
    " {drain_period} {accelerators} {cert_dir} {debug} {mpi} {address_probe_timeout}"
    " {log_config}"
)
"""The worker-pool command; ``launch_cmd`` may use the same ``{fields}``.

``{python}`` is the executor's own interpreter; ``{drain_period}``,
``{accelerators}``, ``{cert_dir}``, ``{debug}``, ``{mpi}``,
``{address_probe_timeout}`` and ``{log_config}`` (the run's pickled
``Config(initialize_logging=LogConfig)``) expand to whole options (or nothing); ``parsl-worker-pool`` is the same program as a console script.
"""

LAUNCH_FIELDS = frozenset(
    {
        "python",
        "address",
        "worker_port",
        "block_id",
        "max_workers_per_node",
        "cores_per_worker",
        "mem_per_worker",
        "prefetch_capacity",
        "heartbeat_period",
        "heartbeat_threshold",
        "poll_period",
        "logdir",
        "cpu_affinity",
        "drain_period",
        "accelerators",
        "cert_dir",
        "debug",
        "mpi",
        "address_probe_timeout",
        "log_config",
    }
)


SUPPORTED_SPEC_KEYS = frozenset({"priority"})


def check_resource_specification(
    label: str, spec: dict[str, Any], mpi_nodes_per_block: int | None = None, *, mpi: bool = False
) -> None:
    """Only ``priority``, a finite number, may appear in a task's resource specification.

    In MPI mode (``mpi=True``, or ``mpi_nodes_per_block`` given) the MPI keys
    are required and checked as :func:`~.mpi_resources.parse_mpi_spec` does,
    ``num_nodes`` against ``mpi_nodes_per_block`` when that is known.
    """
    if not isinstance(spec, dict):
        raise InvalidResourceSpecification([], f"expected a dict, got {spec!r}")
    mpi = mpi or mpi_nodes_per_block is not None
    if mpi:
        parse_mpi_spec(spec, mpi_nodes_per_block)
    unknown = set(spec) - SUPPORTED_SPEC_KEYS - (MPI_SPEC_KEYS if mpi else set())
    if unknown:
        raise InvalidResourceSpecification(
            unknown,
            f"executor {label!r} supports only {sorted(SUPPORTED_SPEC_KEYS)}"
            + (
                " (MPI keys need enable_mpi_mode=True or MPIExecutor)"
                if unknown & MPI_SPEC_KEYS
                else ""
            ),
        )
    priority = spec.get("priority")
    if priority is not None and not (_is_number(priority) and math.isfinite(priority)):
        raise InvalidResourceSpecification(
            ["priority"], f"priority must be a finite number, got {priority!r}"
        )


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and not math.isnan(value)


def check_optional_positive(field: str, value: Any, *, allow_zero: bool = False) -> float | None:
    """None, or a number as :func:`check_positive` accepts it."""
    return None if value is None else check_positive(field, value, allow_zero=allow_zero)


def check_heartbeat_threshold(value: Any, period: float) -> float:
    """A number of seconds greater than the heartbeat period."""
    threshold = check_positive("heartbeat_threshold", value)
    if threshold <= period:
        raise bad_value(
            "heartbeat_threshold",
            value,
            f"more than heartbeat_period={period:g} s (managers would be lost between beats)",
        )
    return threshold


_T = TypeVar("_T")


def check_type(field: str, value: Any, kind: type[_T], expected: str) -> _T:
    """``value`` itself, if it is a ``kind``."""
    if not isinstance(value, kind):
        raise bad_value(field, value, expected)
    return value


def check_optional_path(field: str, value: Any) -> str | None:
    """None or a path string."""
    if value is not None and not isinstance(value, str):
        raise bad_value(field, value, "None or a directory path")
    return value


def check_command_list(value: Any) -> list[str]:
    """The interchange command as a list of strings (default: this Python, ``-m`` the module)."""
    if value is None:
        return [sys.executable, "-m", "parsl.executors.high_throughput.interchange"]
    if isinstance(value, str) or not isinstance(value, Sequence) or not value:
        raise bad_value("interchange_launch_cmd", value, "a non-empty list of strings")
    if not all(isinstance(a, str) for a in value):
        raise bad_value("interchange_launch_cmd", value, "a non-empty list of strings")
    return list(value)


def check_port(field: str, value: Any) -> int | None:
    """None or a TCP port number."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 65535:
        raise bad_value(field, value, "None or a port number from 1 to 65535")
    return value


def check_port_range(field: str, value: Any) -> tuple[int, int]:
    """A (low, high) pair of port numbers with low < high."""
    ok = (
        isinstance(value, tuple | list)
        and len(value) == 2
        and all(isinstance(p, int) and not isinstance(p, bool) for p in value)
        and 1 <= value[0] < value[1] <= 65535
    )
    if not ok:
        raise bad_value(field, value, "a (low, high) tuple of ports with 1 <= low < high <= 65535")
    return (int(value[0]), int(value[1]))


def check_address(field: str, value: Any, ip_only: bool = False) -> str:
    """A host name or IP address (an IP literal with ``ip_only``); ``*`` means every interface."""
    if not isinstance(value, str) or not value.strip() or any(c.isspace() for c in value):
        raise bad_value(field, value, "a host name or IP address such as '127.0.0.1'")
    if ip_only:
        try:
            ipaddress.ip_address(value)
        except ValueError:
            raise bad_value(field, value, "an IP address such as '127.0.0.1'") from None
    return value


def check_mpi_launcher(value: Any) -> str:
    """One of MPI_LAUNCHERS."""
    if value not in MPI_LAUNCHERS:
        known = bad_value("mpi_launcher", value, f"one of {list(MPI_LAUNCHERS)}")
        raise UnknownMPILauncher(str(known), field=known.field, value=value)
    return str(value)


def check_mpi_block_launcher(provider: Any) -> None:
    """MPI mode needs one manager per block: the provider's launcher must start one copy."""
    launcher = getattr(provider, "launcher", None)
    if launcher is not None and not getattr(launcher, "one_copy_per_block", False):
        raise MPILauncherError(
            f"MPI mode needs one manager per block, but {type(provider).__name__}'s launcher "
            f"{type(launcher).__name__} starts one per node or per slot: use SimpleLauncher() "
            "(or SingleNodeLauncher, WrappedLauncher), and the MPI tasks' own mpi_launcher "
            "spreads their ranks over the block's nodes"
        )


def is_loopback(address: str) -> bool:
    """True for 127.0.0.0/8, ::1 and 'localhost'."""
    if address == "localhost":
        return True
    try:
        return ipaddress.ip_address(address).is_loopback
    except ValueError:
        return False


def check_max_workers(value: Any) -> float:
    """None (no limit), an int >= 1, or math.inf."""
    if value is None or value == math.inf:
        return math.inf
    return check_int("max_workers_per_node", value, 1)  # an int stays an int, as in Parsl


def check_cpu_affinity(value: Any) -> str:
    """One of the named policies or 'list:0,1:2,3'."""
    if isinstance(value, str):
        if value in AFFINITY_POLICIES:
            return value
        body = value[len("list:") :] if value.startswith("list:") else None
        if body and all(
            part and all(c.strip().isdigit() for c in part.split(",")) for part in body.split(":")
        ):
            return value
    raise bad_value(
        "cpu_affinity",
        value,
        f"one of {list(AFFINITY_POLICIES)} or 'list:0,1:2,3' (CPUs per worker)",
    )


def check_accelerators(value: Any) -> list[str]:
    """An accelerator count, or a list of accelerator names (as CUDA_VISIBLE_DEVICES takes them)."""
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return [str(i) for i in range(value)]
    if isinstance(value, Sequence) and not isinstance(value, str):
        names = list(value)
        if all(isinstance(n, str) and n and "," not in n and not n.isspace() for n in names):
            if len(set(names)) != len(names):
                raise bad_value("available_accelerators", value, "names without repeats")
            return names
    raise bad_value(
        "available_accelerators", value, "an int >= 0 or a list of names such as ['0', '1']"
    )


def check_launch_cmd(value: Any) -> str:
    """A format string using only the fields in LAUNCH_FIELDS, or a Parsl-style one (see :mod:`.parsl_launch`)."""
    if value is None:
        return DEFAULT_LAUNCH_CMD
    if not isinstance(value, str) or not value.strip():
        raise bad_value("launch_cmd", value, "a command template string")
    if parsl_launch.is_parsl_style(value):
        return parsl_launch.check_parsl_launch_cmd(value)
    try:
        value.format_map(_FieldProbe())
    except (KeyError, ValueError, IndexError) as e:
        raise bad_value(
            "launch_cmd",
            value,
            f"a template using only {{fields}} from {sorted(LAUNCH_FIELDS)} ({e})",
        ) from None
    return value


class _FieldProbe(dict[str, str]):
    def __missing__(self, key: str) -> str:
        if key not in LAUNCH_FIELDS:
            raise KeyError(f"unknown field {{{key}}}")
        return ""


def render_launch_cmd(template: str, block_id: str, **fields: Any) -> str:
    """The worker-pool command for one block; option-valued fields become whole options.

    A Parsl-style template is filled as Parsl does (:mod:`.parsl_launch`).
    """
    if parsl_launch.is_parsl_style(template):
        settings: dict[str, Any] = {k: fields.get(k) for k in _PARSL_SETTINGS}
        settings["mpi_launcher"] = fields.get("mpi")
        settings["debug"] = bool(fields.get("debug"))
        settings["accelerators"] = fields.get("accelerators") or []
        settings["log_config"] = fields.get("log_config")
        parsl_values = parsl_launch.parsl_field_values(**settings)
        return parsl_launch.render_parsl_launch_cmd(template, block_id, parsl_values)
    values: dict[str, Any] = {
        "python": shlex.quote(sys.executable),
        "block_id": shlex.quote(block_id),
    }
    for name, value in fields.items():
        values[name] = shlex.quote(str(value)) if isinstance(value, str) else value
    values["drain_period"] = (
        f"--drain-period {fields['drain_period']}" if fields.get("drain_period") else ""
    )
    accelerators = fields.get("accelerators") or []
    values["accelerators"] = (
        f"--available-accelerators {shlex.quote(','.join(accelerators))}" if accelerators else ""
    )
    cert_dir = fields.get("cert_dir")
    values["cert_dir"] = f"--cert-dir {shlex.quote(cert_dir)}" if cert_dir else ""
    values["debug"] = "--debug" if fields.get("debug") else ""
    mpi = fields.get("mpi")
    values["mpi"] = f"--enable-mpi-mode --mpi-launcher {shlex.quote(mpi)}" if mpi else ""
    probe = fields.get("address_probe_timeout")
    values["address_probe_timeout"] = f"--address-probe-timeout {probe}" if probe else ""
    log_config = fields.get("log_config")
    values["log_config"] = f"--log-config {shlex.quote(log_config)}" if log_config else ""
    if fields.get("mem_per_worker") is None:
        values["mem_per_worker"] = 0
    return template.format_map(values).strip()


_PARSL_SETTINGS = (
    "address",
    "worker_port",
    "max_workers_per_node",
    "cores_per_worker",
    "mem_per_worker",
    "prefetch_capacity",
    "heartbeat_period",
    "heartbeat_threshold",
    "poll_period",
    "logdir",
    "cpu_affinity",
    "drain_period",
    "cert_dir",
    "address_probe_timeout",
)


def check_radio(value: Any) -> RadioConfig:
    """``remote_monitoring_radio``: a RadioConfig; None means HTEXRadio (htex's own channel)."""
    if value is None:
        return HTEXRadio()
    if not isinstance(value, RadioConfig):
        raise bad_value(
            "remote_monitoring_radio",
            value,
            "a RadioConfig from parsl.monitoring.radios: HTEXRadio() (the default), "
            "UDPRadio() or FilesystemRadio()",
        )
    return value

"""The versions a registration carries, and whether a registering manager may work with us."""

from __future__ import annotations

import sys
from importlib.metadata import PackageNotFoundError, version
from typing import TYPE_CHECKING, Any

from parsl.executors.high_throughput.errors import VersionMismatch

if TYPE_CHECKING:
    from parsl.executors.high_throughput.protocol import Register

PROTOCOL_VERSION = 5
"""The wire-protocol version; bump it on any change to frames or message fields."""


def local_versions() -> dict[str, Any]:
    """This process's protocol version, Python major.minor and package versions."""
    return {
        "protocol_version": PROTOCOL_VERSION,
        "python_version": f"{sys.version_info.major}.{sys.version_info.minor}",
        "package_version": _distribution_version("parsl-executors"),
        "kernel_version": _distribution_version("parsl-kernel"),
    }


def check_compatible(registration: Register) -> VersionMismatch | None:
    """None if the registering manager may work with this process, else why not.

    The protocol version, the Python major.minor (serialized functions
    only load under the same Python) and both package versions must match.
    """
    local = local_versions()
    mismatches = [
        (component, str(getattr(registration, name)), str(local[name]))
        for name, component in (
            ("protocol_version", "protocol version"),
            ("python_version", "Python"),
            ("package_version", "parsl-executors"),
            ("kernel_version", "parsl-kernel"),
        )
        if getattr(registration, name) != local[name]
    ]
    if not mismatches:
        return None
    return VersionMismatch(
        mismatches,
        remote_name=f"manager {registration.manager_id!r} on {registration.hostname!r}",
        local_name="this process",
    )


def _distribution_version(name: str) -> str:
    try:
        return version(name)
    except PackageNotFoundError:  # pragma: no cover - only without an install
        return "0.0.0+unknown"

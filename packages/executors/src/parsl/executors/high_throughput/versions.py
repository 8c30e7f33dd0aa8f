"""The versions a registration carries, and whether a registering manager may work with us."""

from __future__ import annotations

import os
import re
import sys
from functools import cache
from typing import TYPE_CHECKING, Any

from parsl.executors.high_throughput.errors import VersionMismatch

if TYPE_CHECKING:
    from parsl.executors.high_throughput.protocol import Register

PROTOCOL_VERSION = 6
"""The wire-protocol version; bump it on any change to frames or message fields."""


def local_versions() -> dict[str, Any]:
    """This process's protocol version, Python version (as Parsl reports it) and package versions."""
    return {
        "protocol_version": PROTOCOL_VERSION,
        "python_version": ".".join(map(str, sys.version_info[:3])),
        "package_version": _distribution_version("parsl-executors"),
        "kernel_version": _distribution_version("parsl-kernel"),
    }


_SEPARATORS = re.compile(r"[-_.]+")


def installed_packages(path: list[str] | None = None) -> dict[str, str]:
    """Each distribution installed on ``path`` (default ``sys.path``): canonical name -> version.

    Names are normalized as pip compares them (PEP 503: lower case, runs of
    ``-``, ``_`` and ``.`` as one ``-``, so ``globus_compute_sdk`` and
    ``Globus-Compute-SDK`` are both ``globus-compute-sdk``); where a name is
    installed twice, the first on the path wins, as for imports. Read from
    the ``name-version.dist-info`` folder names alone (a few milliseconds for
    hundreds of packages, against tens for reading every METADATA file);
    ``.egg-info`` folders, whose names may lack the version, are skipped.
    ``parsl`` is always there, as Parsl reports it: the ``parsl`` distribution
    if one is installed, else this project's ``parsl.__version__``.
    """
    found: dict[str, str] = {}
    for entry in sys.path if path is None else path:
        try:
            names = os.listdir(entry or ".")
        except OSError:  # a zip file, a missing folder
            continue
        for folder in names:
            if not folder.endswith(".dist-info"):
                continue
            name, sep, version_ = folder[: -len(".dist-info")].partition("-")
            if sep and name and version_:
                found.setdefault(_SEPARATORS.sub("-", name).lower(), version_)
    if "parsl" not in found:  # Parsl's own key: what `parsl.__version__` says on the node
        from parsl.version import VERSION

        found["parsl"] = VERSION
    return found


def check_compatible(registration: Register) -> VersionMismatch | None:
    """None if the registering manager may work with this process, else why not.

    The protocol version, the Python major.minor (serialized functions
    only load under the same Python; the micro version may differ, as in
    Parsl) and both package versions must match.
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
        if _comparable(name, getattr(registration, name)) != _comparable(name, local[name])
    ]
    if not mismatches:
        return None
    return VersionMismatch(
        mismatches,
        remote_name=f"manager {registration.manager_id!r} on {registration.hostname!r}",
        local_name="this process",
    )


def _comparable(field: str, value: Any) -> Any:
    """The part of a registration field that must match: Python's major.minor, else all of it."""
    if field == "python_version" and isinstance(value, str):
        return ".".join(value.split(".")[:2])
    return value


@cache
def _installed_here() -> dict[str, str]:
    """:func:`installed_packages` of this process's path, read once for our own versions."""
    return installed_packages()


def _distribution_version(name: str) -> str:
    """``name``'s installed version, from its dist-info folder's name (no metadata import).

    An install that left no ``name-version.dist-info`` folder (an egg) is
    read with :mod:`importlib.metadata`, whose import alone takes longer
    than reading every folder name on the path.
    """
    found = _installed_here().get(name)
    if found is not None:
        return found
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(name)
    except PackageNotFoundError:  # not installed at all (a source checkout on sys.path)
        return "0.0.0+unknown"

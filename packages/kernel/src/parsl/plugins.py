"""Entry-point discovery: how public names such as ``parsl.executors.HighThroughputExecutor`` resolve.

The kernel owns each plugin point's package (``parsl.executors``,
``parsl.providers``, ``parsl.launchers``, ``parsl.monitoring``,
``parsl.data_provider``, ``parsl.serialize``) and its base class. Other
distributions, in this repository or outside it, add modules beneath and
register their public classes in the matching entry-point group; the
package's ``__getattr__`` looks names up there on first use. So the kernel
never imports another package by name, and a plugin written elsewhere is
found the same way as ours.
"""

from __future__ import annotations

from functools import cache
from importlib.metadata import EntryPoint, entry_points
from typing import Any

from parsl.errors import PluginNotFound

GROUPS = {
    "executors": "parsl.executors",
    "providers": "parsl.providers",
    "launchers": "parsl.launchers",
    "staging": "parsl.staging",
    "serializers": "parsl.serializers",
    "monitoring": "parsl.monitoring",
    "memoizers": "parsl.memoizers",
}


@cache
def _group(group: str) -> dict[str, EntryPoint]:
    return {ep.name: ep for ep in entry_points(group=group)}


def available(group: str) -> list[str]:
    """The names registered in an entry-point group, sorted."""
    return sorted(_group(group))


def load(group: str, name: str) -> Any:
    """Load the object registered as ``name`` in ``group``.

    Raises :class:`~parsl.errors.PluginNotFound` (an ImportError) naming the
    group and what is installed, when nothing provides it.
    """
    ep = _group(group).get(name)
    if ep is None:
        have = ", ".join(available(group)) or "nothing"
        raise PluginNotFound(
            f"{name!r} is not provided by any installed package in entry-point group "
            f"{group!r} (installed: {have}). Install the package that provides it, e.g. "
            f"'pip install parsl-{group.rsplit('.', 1)[-1]}'."
        )
    return ep.load()


def module_getattr(group: str, module: str, name: str) -> Any:
    """Implements a plugin package's ``__getattr__``: a missing public attribute is an entry point.

    A public name nobody provides raises :class:`~parsl.errors.PluginNotFound`,
    an ImportError, so ``from parsl.executors import X`` shows which package to
    install rather than Python's bare "cannot import name". Private and dunder
    names stay plain AttributeErrors, so introspection (``hasattr``, copy,
    pickle) behaves as usual.
    """
    if name.startswith("_"):
        raise AttributeError(f"module {module!r} has no attribute {name!r}")
    return load(group, name)


def refresh() -> None:
    """Forget cached entry points (after installing a plugin in a running interpreter)."""
    _group.cache_clear()

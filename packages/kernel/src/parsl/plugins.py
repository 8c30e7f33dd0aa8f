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

import dis
import opcode
import sys
from difflib import get_close_matches
from functools import cache
from importlib.metadata import EntryPoint, PackageNotFoundError, distribution, entry_points
from types import FrameType
from typing import Any

from parsl.errors import PluginAttributeNotFound, PluginNotFound

GROUPS = {
    "executors": "parsl.executors",
    "providers": "parsl.providers",
    "launchers": "parsl.launchers",
    "staging": "parsl.staging",
    "serializers": "parsl.serializers",
    "monitoring": "parsl.monitoring",
    "memoizers": "parsl.memoizers",
}

SUGGESTED_DISTRIBUTION = {
    "parsl.executors": "parsl-executors",
    "parsl.providers": "parsl-providers",
    "parsl.launchers": "parsl-launchers",
    "parsl.staging": "parsl-staging",
    "parsl.monitoring": "parsl-monitoring",
}
"""The distribution of this repository that fills each group, named in hints while not installed."""

_IMPORT_FROM = dis.opmap["IMPORT_FROM"]


def _import_star() -> tuple[int, int | None] | None:
    """The opcode of ``from module import *`` and, from Python 3.12 on, its argument.

    Python 3.11 has an ``IMPORT_STAR`` opcode; from 3.12 it is
    ``CALL_INTRINSIC_1`` with the argument that names ``INTRINSIC_IMPORT_STAR``.
    """
    if "IMPORT_STAR" in dis.opmap:
        return dis.opmap["IMPORT_STAR"], None
    intrinsics: list[str] = list(getattr(opcode, "_intrinsic_1_descs", []))
    if "CALL_INTRINSIC_1" in dis.opmap and "INTRINSIC_IMPORT_STAR" in intrinsics:
        return dis.opmap["CALL_INTRINSIC_1"], intrinsics.index("INTRINSIC_IMPORT_STAR")
    return None  # pragma: no cover - a Python that spells it another way: from-imports only


_IMPORT_STAR = _import_star()


@cache
def _group(group: str) -> dict[str, EntryPoint]:
    return {ep.name: ep for ep in entry_points(group=group)}


def available(group: str) -> list[str]:
    """The names registered in an entry-point group, sorted."""
    return sorted(_group(group))


def _installed(dist: str) -> bool:
    try:
        distribution(dist)
    except PackageNotFoundError:
        return False
    return True


def not_found_message(group: str, name: str) -> str:
    """Why ``name`` is missing from ``group``, and what to do about it.

    Suggests installing this repository's package for the group only while
    it is not installed; otherwise points at spelling (with the closest
    registered name, if any) and at the package that would provide it.
    """
    have = available(group)
    text = (
        f"{name!r} is not provided by any installed package in entry-point group {group!r} "
        f"(installed: {', '.join(have) or 'nothing'})."
    )
    close = get_close_matches(name, have, n=1)
    if close:
        text += f" Did you mean {close[0]!r}?"
    dist = SUGGESTED_DISTRIBUTION.get(group)
    if dist is not None and not _installed(dist):
        return text + f" Install the package that provides it, e.g. 'pip install {dist}'."
    return text + " Check the spelling, or install the package that provides it."


def load(group: str, name: str) -> Any:
    """Load the object registered as ``name`` in ``group``.

    Raises :class:`~parsl.errors.PluginNotFound` (an ImportError) naming the
    group and what is installed, when nothing provides it or what is
    registered cannot be imported.
    """
    ep = _group(group).get(name)
    if ep is None:
        raise PluginNotFound(not_found_message(group, name), name=name)
    try:
        return ep.load()
    except ImportError as e:
        owner = ep.dist.name if ep.dist is not None else "an installed package"
        raise PluginNotFound(
            f"{name!r} is registered in entry-point group {group!r} by {owner}, "
            f"but {ep.value!r} cannot be imported: {e}",
            name=name,
        ) from e


def _import_kind(frame: FrameType | None) -> str | None:
    """``"from"`` (``from module import name``), ``"star"`` (``from module import *``) or None."""
    if frame is None:
        return None
    code = frame.f_code.co_code
    at = frame.f_lasti
    if not 0 <= at < len(code):
        return None
    if code[at] == _IMPORT_FROM:
        return "from"
    if _IMPORT_STAR is None or code[at] != _IMPORT_STAR[0]:
        return None
    argument = _IMPORT_STAR[1]
    return "star" if argument is None or (at + 1 < len(code) and code[at + 1] == argument) else None


def called_by_from_import(frame: FrameType | None) -> bool:
    """True when ``frame`` is running ``from module import name`` (or ``import *``)."""
    return _import_kind(frame) is not None


def called_by_star_import(frame: FrameType | None) -> bool:
    """True when ``frame`` is running ``from module import *``."""
    return _import_kind(frame) == "star"


def missing_stand_in(name: str, message: str) -> type:
    """A class called ``name`` that raises :class:`~parsl.errors.PluginNotFound` (``message``) when used.

    ``from parsl import *`` takes every name in ``parsl.__all__``; one whose
    package is not installed gets this, so the import works (as in Parsl,
    which ships them all) and only a use of the name fails, saying what to
    install.
    """

    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise PluginNotFound(message)

    doc = f"Not installed: {message}"
    return type(name, (), {"__new__": refuse, "__doc__": doc, "__module__": "parsl"})


def module_getattr(group: str, module: str, name: str) -> Any:
    """Implements a plugin package's ``__getattr__``: a missing public attribute is an entry point.

    A public name nobody provides raises
    :class:`~parsl.errors.PluginAttributeNotFound`, an AttributeError, so
    ``hasattr`` and ``getattr(module, name, None)`` behave as on any module;
    under ``from module import name`` it raises
    :class:`~parsl.errors.PluginNotFound` instead, an ImportError whose
    message (which Python would otherwise replace with a bare "cannot import
    name") says what is installed and what to do. Private and dunder names
    stay plain AttributeErrors.
    """
    if name.startswith("_"):
        raise AttributeError(f"module {module!r} has no attribute {name!r}")
    try:
        return load(group, name)
    except PluginNotFound as e:
        # Our caller is the package's __getattr__; its caller is the code asking.
        try:
            asking: FrameType | None = sys._getframe(2)
        except ValueError:  # called from the top of a stack (not through a __getattr__)
            asking = None
        if called_by_from_import(asking):
            raise
        raise PluginAttributeNotFound(
            str(e), name=name, obj=sys.modules.get(module)
        ) from e.__cause__


def refresh() -> None:
    """Forget cached entry points (after installing a plugin in a running interpreter)."""
    _group.cache_clear()

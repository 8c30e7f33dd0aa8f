"""Executors. The thread pool is built in; others resolve through the ``parsl.executors`` entry points.

``ParslExecutor`` and ``ThreadPoolExecutor`` are imported on first use, so
that importing a submodule (``parsl.executors.cctools.runner`` in a task's
process) does not import the thread pool and the kernel behind it.
"""

from __future__ import annotations

import importlib
import importlib.util
import pkgutil
from typing import TYPE_CHECKING, Any

__path__ = pkgutil.extend_path(__path__, __name__)

if TYPE_CHECKING:
    from parsl.executors.base import ParslExecutor
    from parsl.executors.threads import ThreadPoolExecutor

__all__ = ["ParslExecutor", "ThreadPoolExecutor"]

_BUILT_IN = {
    "ParslExecutor": "parsl.executors.base",
    "ThreadPoolExecutor": "parsl.executors.threads",
}


def __getattr__(name: str) -> Any:
    if name in _BUILT_IN:
        value = getattr(importlib.import_module(_BUILT_IN[name]), name)
        globals()[name] = value
        return value
    if (
        name.islower()
        and not name.startswith("_")
        and importlib.util.find_spec(f"{__name__}.{name}")
    ):
        # A submodule reached as an attribute (``parsl.executors.threads``), as when the
        # package imported its members eagerly.
        return importlib.import_module(f"{__name__}.{name}")
    from parsl import plugins
    from parsl.executors.unavailable import STAND_INS

    # Names Parsl always exports import even while no package provides them (a stand-in
    # whose construction says what to install); a registered class always wins.
    if name in STAND_INS and name not in plugins.available("parsl.executors"):
        return STAND_INS[name]
    return plugins.module_getattr("parsl.executors", __name__, name)

"""Parsl: parallel scripting in Python.

The kernel distribution (``parsl-kernel``) owns this package and keeps the
namespace open, so that other distributions (``parsl-executors``,
``parsl-providers`` ...) installed separately, or as editable installs of
separate folders, add their subpackages beneath it.

The top-level names are imported on first use (PEP 562), not by ``import
parsl``: a process that needs only a submodule (a worker running one task,
``parsl.serialize``) does not pay for the DataFlowKernel, the executors and
typeguard. ``from parsl import python_app`` and ``parsl.load(...)`` behave
as if they had been imported eagerly.
"""

from __future__ import annotations

import importlib
import importlib.util
import pkgutil
import sys
from types import FrameType
from typing import TYPE_CHECKING, Any

__path__ = pkgutil.extend_path(__path__, __name__)

if TYPE_CHECKING:
    from parsl.app.app import AUTO_LOGNAME, bash_app, join_app, python_app
    from parsl.config import Config
    from parsl.data_provider.files import File
    from parsl.dataflow.dflow import DataFlowKernel
    from parsl.dataflow.loader import DataFlowKernelLoader
    from parsl.errors import ParslError
    from parsl.errors import PluginAttributeNotFound as PluginAttributeNotFound
    from parsl.errors import PluginNotFound as PluginNotFound
    from parsl.executors import ThreadPoolExecutor
    from parsl.log_utils import set_file_logger, set_stream_logger
    from parsl.version import VERSION as VERSION
    from parsl.version import VERSION as __version__

    load = DataFlowKernelLoader.load
    clear = DataFlowKernelLoader.clear
    dfk = DataFlowKernelLoader.dfk
    wait_for_current_tasks = DataFlowKernelLoader.wait_for_current_tasks

# Each lazily imported top-level name: the module that defines it and its name there.
_LAZY = {
    "AUTO_LOGNAME": ("parsl.app.app", "AUTO_LOGNAME"),
    "bash_app": ("parsl.app.app", "bash_app"),
    "join_app": ("parsl.app.app", "join_app"),
    "python_app": ("parsl.app.app", "python_app"),
    "Config": ("parsl.config", "Config"),
    "File": ("parsl.data_provider.files", "File"),
    "DataFlowKernel": ("parsl.dataflow.dflow", "DataFlowKernel"),
    "DataFlowKernelLoader": ("parsl.dataflow.loader", "DataFlowKernelLoader"),
    "ParslError": ("parsl.errors", "ParslError"),
    "PluginAttributeNotFound": ("parsl.errors", "PluginAttributeNotFound"),
    "PluginNotFound": ("parsl.errors", "PluginNotFound"),
    "ThreadPoolExecutor": ("parsl.executors", "ThreadPoolExecutor"),
    "set_file_logger": ("parsl.log_utils", "set_file_logger"),
    "set_stream_logger": ("parsl.log_utils", "set_stream_logger"),
    "__version__": ("parsl.version", "VERSION"),
    "VERSION": ("parsl.version", "VERSION"),
}

# What ``import parsl`` imported eagerly before its names became lazy. Code written for
# Parsl reaches submodules as attributes after a bare ``import parsl``
# (``parsl.dataflow.futures.AppFuture``, ``parsl.executors.threads``), which works only
# because Parsl's import loads them: the first such access here loads the same set.
_EAGER = (
    "parsl.app.app",
    "parsl.config",
    "parsl.data_provider.files",
    "parsl.dataflow.dflow",
    "parsl.dataflow.loader",
    "parsl.errors",
    "parsl.executors",
    "parsl.executors.threads",
    "parsl.log_utils",
    "parsl.plugins",
    "parsl.version",
)

# The loader's class-level functions Parsl exports as plain functions.
_LOADER = frozenset({"load", "clear", "dfk", "wait_for_current_tasks"})

# Names Parsl exports at the top level whose classes live in other distributions:
# resolved on first use through the plugin registry, like ``parsl.executors.X``.
_FROM_PLUGINS = {
    "HighThroughputExecutor": "parsl.executors",
    "WorkQueueExecutor": "parsl.executors",
    "MonitoringHub": "parsl.monitoring",
}


def _import_system(frame: FrameType) -> bool:
    """True when ``frame`` is Python's import machinery (``_handle_fromlist`` and the like)."""
    filename = frame.f_code.co_filename
    return filename.startswith("<frozen importlib") or filename.endswith(
        ("importlib/_bootstrap.py", "importlib\\_bootstrap.py")
    )


def __getattr__(name: str) -> Any:
    value: Any
    if name in _LAZY:
        module, attribute = _LAZY[name]
        value = getattr(importlib.import_module(module), attribute)
    elif name in _LOADER:
        from parsl.dataflow.loader import DataFlowKernelLoader as loader

        value = getattr(loader, name)
    elif name in _FROM_PLUGINS:
        from parsl import plugins
        from parsl.errors import PluginAttributeNotFound as not_found
        from parsl.errors import PluginNotFound as plugin_not_found

        try:  # the plugin-point module's own lookup (with its stand-ins), e.g. parsl.executors.X
            return getattr(importlib.import_module(_FROM_PLUGINS[name]), name)
        except not_found as e:
            asking = sys._getframe(1)
            if plugins.called_by_star_import(asking):  # not cached: installing it later works
                return plugins.missing_stand_in(name, str(e))
            if plugins.called_by_from_import(asking):
                raise plugin_not_found(str(e), name=name) from e
            raise
    elif not name.startswith("_") and importlib.util.find_spec(f"{__name__}.{name}") is not None:
        value = importlib.import_module(f"{__name__}.{name}")
        # ``from parsl import plugins`` asks here first (hasattr) while modules are half
        # imported: the import system gets just the submodule. Code reaching a submodule
        # as an attribute gets what Parsl's eager import would have loaded as well.
        if not _import_system(sys._getframe(1)):
            for module in _EAGER:
                importlib.import_module(module)
    else:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    globals()[name] = value  # later lookups find it without coming here
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


__all__ = [
    "AUTO_LOGNAME",
    "Config",
    "DataFlowKernel",
    "DataFlowKernelLoader",
    "File",
    "HighThroughputExecutor",
    "MonitoringHub",
    "ParslError",
    "ThreadPoolExecutor",
    "WorkQueueExecutor",
    "__version__",
    "bash_app",
    "clear",
    "dfk",
    "join_app",
    "load",
    "python_app",
    "set_file_logger",
    "set_stream_logger",
    "wait_for_current_tasks",
]

"""Parsl: parallel scripting in Python.

The kernel distribution (``parsl-kernel``) owns this package and keeps the
namespace open, so that other distributions (``parsl-executors``,
``parsl-providers`` ...) installed separately, or as editable installs of
separate folders, add their subpackages beneath it.
"""

from __future__ import annotations

import importlib
import pkgutil
import sys
from typing import Any

__path__ = pkgutil.extend_path(__path__, __name__)

from parsl import plugins
from parsl.app.app import AUTO_LOGNAME, bash_app, join_app, python_app
from parsl.config import Config
from parsl.data_provider.files import File
from parsl.dataflow.dflow import DataFlowKernel
from parsl.dataflow.loader import DataFlowKernelLoader
from parsl.errors import ParslError, PluginAttributeNotFound, PluginNotFound
from parsl.executors import ThreadPoolExecutor
from parsl.log_utils import set_file_logger, set_stream_logger
from parsl.version import VERSION

__version__ = VERSION

load = DataFlowKernelLoader.load
clear = DataFlowKernelLoader.clear
dfk = DataFlowKernelLoader.dfk
wait_for_current_tasks = DataFlowKernelLoader.wait_for_current_tasks

# Names Parsl exports at the top level whose classes live in other distributions:
# resolved on first use through the plugin registry, like ``parsl.executors.X``.
_FROM_PLUGINS = {
    "HighThroughputExecutor": "parsl.executors",
    "WorkQueueExecutor": "parsl.executors",
    "MonitoringHub": "parsl.monitoring",
}


def __getattr__(name: str) -> Any:
    group = _FROM_PLUGINS.get(name)
    if group is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    try:  # the plugin-point module's own lookup (with its stand-ins), e.g. parsl.executors.X
        return getattr(importlib.import_module(group), name)
    except PluginAttributeNotFound as e:
        if plugins.called_by_from_import(sys._getframe(1)):
            raise PluginNotFound(str(e), name=name) from e
        raise


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

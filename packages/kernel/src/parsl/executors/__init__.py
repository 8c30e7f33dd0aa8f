"""Executors. The thread pool is built in; others resolve through the ``parsl.executors`` entry points."""

from __future__ import annotations

import pkgutil
from typing import Any

from parsl import plugins
from parsl.executors.base import ParslExecutor
from parsl.executors.threads import ThreadPoolExecutor

__path__ = pkgutil.extend_path(__path__, __name__)

__all__ = ["ParslExecutor", "ThreadPoolExecutor"]


def __getattr__(name: str) -> Any:
    return plugins.module_getattr("parsl.executors", __name__, name)

"""Executors. The thread pool is built in; others resolve through the ``parsl.executors`` entry points."""

from __future__ import annotations

import pkgutil
from typing import Any

from parsl import plugins
from parsl.executors.base import ParslExecutor
from parsl.executors.threads import ThreadPoolExecutor
from parsl.executors.unavailable import STAND_INS

__path__ = pkgutil.extend_path(__path__, __name__)

__all__ = ["ParslExecutor", "ThreadPoolExecutor"]


def __getattr__(name: str) -> Any:
    # Names Parsl always exports import even while no package provides them (a stand-in
    # whose construction says what to install); a registered class always wins.
    if name in STAND_INS and name not in plugins.available("parsl.executors"):
        return STAND_INS[name]
    return plugins.module_getattr("parsl.executors", __name__, name)

"""Launchers. Simple and single-node are built in; others resolve through ``parsl.launchers`` entry points."""

from __future__ import annotations

import pkgutil
from typing import Any

from parsl import plugins
from parsl.launchers.base import Launcher
from parsl.launchers.simple import SimpleLauncher, SingleNodeLauncher

__path__ = pkgutil.extend_path(__path__, __name__)

__all__ = ["Launcher", "SimpleLauncher", "SingleNodeLauncher"]


def __getattr__(name: str) -> Any:
    return plugins.module_getattr("parsl.launchers", __name__, name)

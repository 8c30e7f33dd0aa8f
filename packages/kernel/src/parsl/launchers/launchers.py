"""Parsl's older module path for launcher classes, kept so existing configs import unchanged.

``from parsl.launchers.launchers import SrunLauncher`` gives the same class as
``from parsl.launchers import SrunLauncher``: the built-in launchers are
re-exported here, and every other public name resolves through the
``parsl.launchers`` entry points, exactly as the package itself does. A name
no installed distribution provides raises
:class:`~parsl.errors.PluginNotFound` saying which package to install.
"""

from __future__ import annotations

from typing import Any

from parsl import plugins
from parsl.launchers.base import Launcher
from parsl.launchers.simple import SimpleLauncher, SingleNodeLauncher

__all__ = ["Launcher", "SimpleLauncher", "SingleNodeLauncher"]


def __getattr__(name: str) -> Any:
    return plugins.module_getattr("parsl.launchers", __name__, name)

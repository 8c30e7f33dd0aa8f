"""Parsl's older module path ``parsl.monitoring.monitoring``, kept so existing configs import unchanged.

``from parsl.monitoring.monitoring import MonitoringHub`` gives the same class
as ``from parsl.monitoring import MonitoringHub``: public names resolve
through the ``parsl.monitoring`` entry points (``MonitoringHub`` is registered
by ``parsl-monitoring``). Without that package installed the import raises
:class:`~parsl.errors.PluginNotFound` saying so.
"""

from __future__ import annotations

from typing import Any

from parsl import plugins

__all__: list[str] = []


def __getattr__(name: str) -> Any:
    return plugins.module_getattr("parsl.monitoring", __name__, name)

"""Monitoring. The kernel defines the sink interface; ``MonitoringHub`` comes from ``parsl-monitoring``."""

from __future__ import annotations

import pkgutil
from typing import Any

from parsl import plugins
from parsl.monitoring.sink import MonitoringSink, TaskTransition

__path__ = pkgutil.extend_path(__path__, __name__)

__all__ = ["MonitoringSink", "TaskTransition"]


def __getattr__(name: str) -> Any:
    return plugins.module_getattr("parsl.monitoring", __name__, name)

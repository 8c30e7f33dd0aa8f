"""Attributes of Parsl's DataFlowKernel that scripts and plugins read, under Parsl's names.

Mixed into :class:`~parsl.dataflow.dflow.DataFlowKernel`, which provides the
attributes declared here. Each is read-only: this kernel keeps the value
under its own name and these say the same thing the way Parsl spells it.
"""

from __future__ import annotations

import itertools
import os
import sys
import time
from typing import Any

from parsl.dataflow.dependency_resolvers import DependencyResolver


def default_workflow_name(name: str | None) -> str:
    """``name`` if given, else the running script's file name (as Parsl does), else ``"parsl"``."""
    if name:
        return name
    script = os.path.basename(sys.argv[0]) if sys.argv and sys.argv[0] else ""
    return script or "parsl"


def default_workflow_version(version: str | None, began: float) -> str:
    """``version`` if given, else the run's start time to the second, as Parsl labels a run."""
    return version or time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(began))


class ParslNames:
    """``task_count``, ``workflow_name``, ``workflow_version``, ``dependency_resolver``, ..."""

    _ids: itertools.count[int]
    _began: float
    monitoring: Any
    resolver: DependencyResolver
    poller: Any

    @property
    def task_count(self) -> int:
        """How many tasks this run has been given so far (the next task's id)."""
        # count's repr is "count(N)": reading it takes no id, where next() would.
        return int(repr(self._ids)[len("count(") : -1])

    @property
    def workflow_name(self) -> str:
        """The monitoring hub's ``workflow_name``, else the script's file name."""
        return default_workflow_name(getattr(self.monitoring, "workflow_name", None))

    @property
    def workflow_version(self) -> str:
        """The monitoring hub's ``workflow_version``, else when the run began."""
        return default_workflow_version(
            getattr(self.monitoring, "workflow_version", None), self._began
        )

    @property
    def time_began(self) -> float:
        """When ``parsl.load()`` made this DataFlowKernel (Unix time)."""
        return self._began

    @property
    def dependency_resolver(self) -> DependencyResolver:
        """The resolver finding futures in app arguments (``Config.dependency_resolver``)."""
        return self.resolver

    @property
    def job_status_poller(self) -> Any:
        """The poller that watches and scales the executors' blocks."""
        return self.poller

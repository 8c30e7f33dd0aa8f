"""TaskVine for Parsl: ``from parsl.executors import TaskVineExecutor``.

``TaskVineManagerConfig`` and ``TaskVineFactoryConfig`` are importable from
here, as in Parsl.
"""

from __future__ import annotations

from parsl.executors.taskvine.executor import TaskVineExecutor
from parsl.executors.taskvine.factory_config import TaskVineFactoryConfig
from parsl.executors.taskvine.manager_config import TaskVineManagerConfig

__all__ = ["TaskVineExecutor", "TaskVineFactoryConfig", "TaskVineManagerConfig"]

"""Work Queue for Parsl: ``from parsl.executors import WorkQueueExecutor``."""

from __future__ import annotations

from parsl.executors.workqueue.executor import WorkQueueExecutor

__all__ = ["WorkQueueExecutor"]

"""Parsl's RadicalPilotExecutor (distribution ``parsl-radical``), on RADICAL-Pilot from PyPI."""

from parsl.executors.radical.executor import RadicalPilotExecutor, RadicalTaskFailed
from parsl.executors.radical.resources import task_fields

__all__ = ["RadicalPilotExecutor", "RadicalTaskFailed", "task_fields"]

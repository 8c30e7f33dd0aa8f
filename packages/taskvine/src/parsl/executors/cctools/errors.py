"""Exceptions of the Work Queue and TaskVine executors (one subtree under :class:`~parsl.errors.ParslError`)."""

from __future__ import annotations

from parsl.errors import ParslError
from parsl.executors.errors import ExecutorError

__all__ = [
    "CctoolsError",
    "CctoolsNotInstalled",
    "CctoolsTaskFailure",
    "ManagerLost",
    "ResourceExhausted",
    "TaskOutputMissing",
    "WorkerLost",
]


class CctoolsError(ParslError):
    """Base class of every error raised by the Work Queue and TaskVine executors."""


class CctoolsNotInstalled(CctoolsError, ImportError):
    """``ndcctools`` (or a cctools program such as ``vine_worker``) is not installed."""


class ManagerLost(ExecutorError, CctoolsError):
    """The manager process died or stopped answering; every task in flight fails with this."""


class CctoolsTaskFailure(CctoolsError):
    """A task did not produce a result; ``reason`` is the manager's account of why.

    ``worker`` is the worker's ``host:port`` (or hostname) when the manager knows it.
    """

    def __init__(self, task_id: int, reason: str, worker: str | None = None) -> None:
        where = f" on worker {worker}" if worker else ""
        super().__init__(f"task {task_id} failed{where}: {reason}")
        self.task_id = task_id
        self.reason = reason
        self.worker = worker

    @property
    def status(self) -> BaseException | None:
        """Parsl's name: the exception behind this failure (its ``__cause__``), or None."""
        return self.__cause__


class WorkerLost(CctoolsTaskFailure):
    """The worker running the task disappeared and the manager's retries ran out."""


class ResourceExhausted(CctoolsTaskFailure):
    """The task went over its ``memory``, ``disk`` or ``running_time_min`` allocation."""


class TaskOutputMissing(CctoolsTaskFailure):
    """The task ran but its result file (or a declared output ``File``) never came back."""

"""Exceptions raised by the DataFlowKernel."""

from __future__ import annotations

from collections.abc import Sequence

from parsl.errors import ConfigurationError, ParslError

__all__ = [
    "BadCheckpoint",
    "ConfigurationError",
    "DataFlowException",
    "DependencyError",
    "JoinError",
]


class DataFlowException(ParslError):
    """Base class of dataflow failures."""


class BadCheckpoint(DataFlowException):
    """A checkpoint file could not be read."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class _PropagatedFailure(DataFlowException):
    """A task failed because other tasks (or futures) it depends on failed."""

    _verb = "depends on"

    def __init__(
        self,
        dependent_exceptions_tids: Sequence[tuple[BaseException, int | str | None]],
        task_id: int,
    ) -> None:
        self.dependent_exceptions_tids = list(dependent_exceptions_tids)
        self.task_id = task_id
        names = ", ".join(
            f"task {tid}" if isinstance(tid, int) else f"future {tid}" if tid else "a future"
            for _, tid in self.dependent_exceptions_tids
        )
        super().__init__(f"task {task_id} {self._verb} failed: {names}")
        if self.dependent_exceptions_tids:
            self.__cause__ = self.dependent_exceptions_tids[0][0]

    @property
    def failed_task_ids(self) -> list[int]:
        """Ids of the failed tasks (not plain futures) this task depended on."""
        return [t for _, t in self.dependent_exceptions_tids if isinstance(t, int)]

    @property
    def root_cause(self) -> BaseException | None:
        """The first failure at the bottom of the chain of failed dependencies."""
        exc: BaseException | None = (
            self.dependent_exceptions_tids[0][0] if self.dependent_exceptions_tids else None
        )
        while isinstance(exc, _PropagatedFailure) and exc.dependent_exceptions_tids:
            exc = exc.dependent_exceptions_tids[0][0]
        return exc

    def __reduce__(self) -> tuple[object, ...]:
        return (type(self), (self.dependent_exceptions_tids, self.task_id))


class DependencyError(_PropagatedFailure):
    """A task could not run because a task it depends on failed."""


class JoinError(_PropagatedFailure):
    """A join app's inner task(s) failed."""

    _verb = "joined a task that"

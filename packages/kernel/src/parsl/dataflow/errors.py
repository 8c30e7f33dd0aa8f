"""Exceptions raised by the DataFlowKernel."""

from __future__ import annotations

import re
from collections.abc import Sequence
from concurrent.futures import Future
from functools import partial
from typing import Any

from parsl.errors import ConfigurationError, ParslError

__all__ = [
    "BadCheckpoint",
    "ConfigurationError",
    "DataFlowException",
    "DependencyError",
    "JoinError",
    "PropagatedException",
    "future_name",
]

_TASK_NAME = re.compile(r"task (\d+)")


def future_name(fut: Future[Any]) -> str:
    """How a failed dependency is named, as in Parsl: ``"task N"`` for an app future, else its repr."""
    from parsl.dataflow.futures import AppFuture

    return f"task {fut.tid}" if isinstance(fut, AppFuture) else repr(fut)


class DataFlowException(ParslError):
    """Base class of dataflow failures."""


class BadCheckpoint(DataFlowException):
    """A checkpoint file could not be read."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class PropagatedException(DataFlowException):
    """A task failed because other tasks (or futures) it depends on failed.

    ``dependent_exceptions_tids`` holds ``(exception, identifier)`` pairs, the
    identifier being ``"task N"`` for an app future and the future's repr for
    any other future, as in Parsl; the message names them the same way.
    Parsl's common base of :class:`DependencyError` and :class:`JoinError`;
    ``failure_description``, if given, replaces what the message says
    happened (a subclass's own wording otherwise).
    """

    _verb = "depends on a task that"

    def __init__(
        self,
        dependent_exceptions_tids: Sequence[tuple[BaseException, str | int | None]],
        task_id: int | None,
        *,
        failure_description: str | None = None,
    ) -> None:
        self.dependent_exceptions_tids = list(dependent_exceptions_tids)
        self.task_id = task_id
        self.failure_description = failure_description
        names = ", ".join(str(tid) for _, tid in self.dependent_exceptions_tids)
        if failure_description is None:
            super().__init__(f"task {task_id} {self._verb} failed: {names}")
        else:
            super().__init__(f"task {task_id}: {failure_description}: {names}")
        # As in Parsl, the cause is the failure the chain began with (see root_cause), not
        # the next task's DependencyError, so a traceback shows the app's own error.
        self.__cause__ = self.root_cause

    @property
    def failed_task_ids(self) -> list[int]:
        """Ids of the failed tasks (not plain futures) this task depended on."""
        ids: list[int] = []
        for _, name in self.dependent_exceptions_tids:
            if isinstance(name, int):  # pairs built by hand with a bare id
                ids.append(name)
                continue
            match = _TASK_NAME.fullmatch(name) if isinstance(name, str) else None
            if match is not None:
                ids.append(int(match.group(1)))
        return ids

    @property
    def root_cause(self) -> BaseException | None:
        """The first failure at the bottom of the chain of failed dependencies.

        Followed down the first dependency of each propagated error; a chain
        that loops back ends where it would repeat.
        """
        exc: BaseException | None = (
            self.dependent_exceptions_tids[0][0] if self.dependent_exceptions_tids else None
        )
        seen = {id(self)}
        while (
            isinstance(exc, PropagatedException)
            and exc.dependent_exceptions_tids
            and id(exc) not in seen
        ):
            seen.add(id(exc))
            exc = exc.dependent_exceptions_tids[0][0]
        return exc

    def __reduce__(self) -> tuple[object, ...]:
        make = partial(type(self), failure_description=self.failure_description)
        return (make, (self.dependent_exceptions_tids, self.task_id))


class DependencyError(PropagatedException):
    """A task could not run because a task it depends on failed."""


class JoinError(PropagatedException):
    """A join app's inner task(s) failed."""

    _verb = "joined a task that"

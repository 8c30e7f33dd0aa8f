"""What the DataFlowKernel does when handing a task to its executor goes wrong.

Three cases, kept apart:

* Ctrl-C (:class:`KeyboardInterrupt`) or :class:`SystemExit` while the caller
  is blocked in the hand-over (e.g. an executor's backpressure): the caller
  gets it, and the tasks that were being launched fail with their own
  :class:`LaunchInterrupted` so that no future is left waiting.
* An error no retry can fix (:data:`UNFIXABLE_SUBMIT_ERRORS`: an invalid
  resource specification, an executor in a bad state): the task fails at once.
* Anything else: an ordinary failed try, retried within the retry budget.

Every task gets its own exception object (:func:`own_exception`), so notes
added for one task never show up on another.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, TypeVar

from parsl.errors import ParslError
from parsl.executors.errors import (
    BadStateException,
    InvalidResourceSpecification,
    UnsupportedFeatureError,
)

if TYPE_CHECKING:
    from parsl.dataflow.settle import TaskSettlement
    from parsl.dataflow.taskrecord import TaskRecord

E = TypeVar("E", bound=BaseException)

UNFIXABLE_SUBMIT_ERRORS: tuple[type[BaseException], ...] = (
    InvalidResourceSpecification,
    BadStateException,
    UnsupportedFeatureError,
)
"""Errors from ``executor.submit()`` that fail the task at once, without retries."""

CALLER_EXCEPTIONS: tuple[type[BaseException], ...] = (KeyboardInterrupt, SystemExit)
"""Exceptions that belong to the caller: re-raised, never turned into a failed task."""


class LaunchInterrupted(ParslError):
    """Ctrl-C (or SystemExit) reached the caller while this task was being handed to its executor."""


def interrupted(task_id: int, func_name: str, cause: BaseException) -> LaunchInterrupted:
    """A new :class:`LaunchInterrupted` for one task, caused by ``cause``."""
    exc = LaunchInterrupted(
        f"task {task_id} ({func_name}) was not launched: {type(cause).__name__} reached the "
        "caller while it was being handed to its executor"
    )
    exc.__cause__ = cause
    return exc


def own_exception(exc: E) -> E:
    """A copy of ``exc`` for one task: same type, message, attributes, cause and traceback.

    The copy has its own ``__notes__`` list. The constructor is not called
    again (exception constructors often take other arguments than the
    ``args`` they store); an exception that cannot be copied so is returned
    as it is.
    """
    cls = type(exc)
    try:
        new = cls.__new__(cls, *exc.args)
        new.args = exc.args
        state = getattr(exc, "__dict__", None)
        if state:
            new.__dict__.update(state)
    except Exception:  # a C-level exception type with its own layout
        return exc
    notes = getattr(exc, "__notes__", None)
    if notes is not None:
        new.__notes__ = list(notes)
    new.__cause__ = exc.__cause__
    new.__context__ = exc.__context__
    new.__suppress_context__ = exc.__suppress_context__
    return new.with_traceback(exc.__traceback__)


def fail_now(dfk: TaskSettlement, task: TaskRecord, exc: BaseException) -> None:
    """Fail ``task`` with ``exc`` at once, without retrying (the try still counts)."""
    dfk._fail_now(task, exc)

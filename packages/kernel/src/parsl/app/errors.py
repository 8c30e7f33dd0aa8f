"""Exceptions raised by apps, with Parsl's public names."""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from functools import wraps
from traceback import format_exception
from types import TracebackType
from typing import Any, ParamSpec, TypeVar

from parsl.errors import ParslError

P = ParamSpec("P")
R = TypeVar("R")


class AppException(ParslError):
    """Base class of failures inside an app."""


class AppBadFormatting(AppException):
    """A bash app's command string could not be built."""


class BashAppNoReturn(AppException):
    """A bash app's function returned something other than a command string."""


class BashExitFailure(AppException):
    """A bash app's command exited non-zero; ``exitcode`` holds the code.

    ``stderr_tail`` holds the last lines the command wrote to its
    ``stderr`` file in this run (None when stderr was not kept in a file);
    the message shows them, so the reason is in the exception itself.
    """

    def __init__(self, app_name: str, exitcode: int, stderr_tail: str | None = None) -> None:
        message = f"bash_app {app_name} failed with unix exit code {exitcode}"
        if stderr_tail:
            message += f"; the end of its stderr:\n{stderr_tail}"
        super().__init__(message)
        self.app_name = app_name
        self.exitcode = exitcode
        self.stderr_tail = stderr_tail

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.app_name, self.exitcode, self.stderr_tail))


class AppTimeout(AppException):
    """An app ran past its ``walltime``."""


class MissingOutputs(AppException):
    """An app finished but did not create every file in ``outputs``."""

    def __init__(self, reason: str, outputs: Sequence[Any]) -> None:
        super().__init__(f"Missing Outputs: {list(map(str, outputs))}, Reason: {reason}")
        self.reason = reason
        self.outputs = list(outputs)

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.reason, self.outputs))


class BadStdStreamFile(AppException):
    """A ``stdout``/``stderr`` argument could not be opened or has the wrong shape."""


class RemoteExceptionWrapper:
    """Carries an exception and its traceback text across a process boundary."""

    def __init__(
        self,
        e_type: type[BaseException],
        e_value: BaseException,
        traceback: TracebackType | None,
    ) -> None:
        self.e_type = e_type
        self.e_value = e_value
        self.tb_text = "".join(format_exception(e_type, e_value, traceback))

    def get_exception(self) -> BaseException:
        """The original exception, with the remote traceback attached as a note."""
        exc = self.e_value
        note = "Remote traceback:\n" + self.tb_text
        if note not in getattr(exc, "__notes__", []):
            exc.add_note(note)
        return exc

    def reraise(self) -> None:
        """Raise the original exception."""
        raise self.get_exception()


def wrap_error(func: Callable[P, R]) -> Callable[P, R | RemoteExceptionWrapper]:
    """Return exceptions from ``func`` as a :class:`RemoteExceptionWrapper` instead of raising."""

    @wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R | RemoteExceptionWrapper:
        try:
            return func(*args, **kwargs)
        except Exception:
            t, v, tb = sys.exc_info()
            assert t is not None and v is not None
            return RemoteExceptionWrapper(t, v, tb)

    return wrapper

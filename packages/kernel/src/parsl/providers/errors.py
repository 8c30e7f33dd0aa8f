"""Exceptions raised by providers."""

from __future__ import annotations

import warnings

from parsl.errors import ParslError, _StateReduce


class ProviderError(_StateReduce, ParslError):
    """A provider could not do what was asked; carries the scheduler's own output.

    ``retcode`` (Parsl's keyword) is the scheduler command's exit status,
    when known; ``stdout`` and ``stderr`` may be None.
    """

    def __init__(
        self,
        provider: str,
        reason: str,
        stdout: str | None = "",
        stderr: str | None = "",
        retcode: int | None = None,
    ) -> None:
        stdout, stderr = stdout or "", stderr or ""
        detail = "" if retcode is None else f" (exit status {retcode})"
        if stdout.strip():
            detail += f"\nstdout: {stdout.strip()}"
        if stderr.strip():
            detail += f"\nstderr: {stderr.strip()}"
        super().__init__(f"{provider}: {reason}{detail}")
        self.provider = provider
        self.reason = reason
        self.stdout = stdout
        self.stderr = stderr
        self.retcode = retcode


class SubmitException(ProviderError):
    """Submitting a block failed.

    Parsl's form ``SubmitException(job_name, message, stdout=None,
    stderr=None, retcode=None)`` works too: :attr:`job_name` and
    :attr:`message` are its first two arguments.
    """

    @property
    def job_name(self) -> str:
        return self.provider

    @property
    def message(self) -> str:
        return self.reason

    @property
    def task_name(self) -> str:
        """Deprecated (as in Parsl): the block's job name; use :attr:`job_name`."""
        warnings.warn(
            "SubmitException.task_name is deprecated: use job_name",
            DeprecationWarning,
            stacklevel=2,
        )
        return self.provider


class ScaleOutFailed(ProviderError):
    """Could not add the blocks asked for."""


class SchedulerMissingArgs(ProviderError):
    """The scheduler needs a setting that was not given."""


#: Parsl's name for the root of the provider exceptions.
ExecutionProviderException = ProviderError


class ScriptPathError(SubmitException):
    """The submit script could not be written where the provider keeps its scripts."""

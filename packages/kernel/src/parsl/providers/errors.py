"""Exceptions raised by providers."""

from __future__ import annotations

import warnings
from collections.abc import Iterable

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
    stderr=None, retcode=None)``, positionally or by keyword:
    :attr:`job_name` and :attr:`message` are its first two arguments.
    """

    def __init__(
        self,
        job_name: str,
        message: str,
        stdout: str | None = None,
        stderr: str | None = None,
        retcode: int | None = None,
    ) -> None:
        super().__init__(job_name, message, stdout, stderr, retcode)

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
    """The scheduler needs settings that were not given.

    Parsl's form ``SchedulerMissingArgs(missing_keywords, sitename)``: the
    names of the settings (kept as a list in :attr:`missing_keywords`) and
    the provider's label; ``reason`` replaces the message's default text.
    """

    def __init__(
        self,
        missing_keywords: Iterable[str] | str,
        sitename: str,
        *,
        reason: str | None = None,
    ) -> None:
        keys = [missing_keywords] if isinstance(missing_keywords, str) else list(missing_keywords)
        super().__init__(sitename, reason or f"missing settings: {', '.join(keys)}")
        self.missing_keywords = keys
        self.sitename = sitename


#: Parsl's name for the root of the provider exceptions.
ExecutionProviderException = ProviderError


class ScriptPathError(SubmitException):
    """The submit script could not be written where the provider keeps its scripts.

    Parsl's form ``ScriptPathError(script_path, reason)``; the path is kept
    as :attr:`script_path`, and ``provider`` (a label) leads the message.
    """

    def __init__(self, script_path: str, reason: str, *, provider: str | None = None) -> None:
        where = f"submit script {script_path}"
        super().__init__(provider or where, f"{where}: {reason}" if provider else reason)
        self.script_path = script_path

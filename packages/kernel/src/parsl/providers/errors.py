"""Exceptions raised by providers."""

from __future__ import annotations

from parsl.errors import ParslError


class ProviderError(ParslError):
    """A provider could not do what was asked; carries the scheduler's own output."""

    def __init__(self, provider: str, reason: str, stdout: str = "", stderr: str = "") -> None:
        detail = ""
        if stdout.strip():
            detail += f"\nstdout: {stdout.strip()}"
        if stderr.strip():
            detail += f"\nstderr: {stderr.strip()}"
        super().__init__(f"{provider}: {reason}{detail}")
        self.provider = provider
        self.reason = reason
        self.stdout = stdout
        self.stderr = stderr


class SubmitException(ProviderError):
    """Submitting a block failed."""


class ScaleOutFailed(ProviderError):
    """Could not add the blocks asked for."""


class SchedulerMissingArgs(ProviderError):
    """The scheduler needs a setting that was not given."""


#: Parsl's name for the root of the provider exceptions.
ExecutionProviderException = ProviderError


class ScriptPathError(SubmitException):
    """The submit script could not be written where the provider keeps its scripts."""

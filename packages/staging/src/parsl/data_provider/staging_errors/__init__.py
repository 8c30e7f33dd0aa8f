"""Exceptions raised by the staging providers of parsl-staging.

Every one is a :class:`StagingError`, itself a :class:`~parsl.errors.ParslError`,
so ``except StagingError`` catches any failed transfer.
"""

from __future__ import annotations

from collections.abc import Sequence

from parsl.errors import ParslError

__all__ = [
    "DownloadError",
    "GlobusAuthError",
    "GlobusTransferError",
    "GlobusTransferTimeout",
    "RSyncError",
    "StagingError",
    "ZipStagingError",
]


class StagingError(ParslError):
    """A file could not be staged in or out."""


class DownloadError(StagingError):
    """A file could not be downloaded from its URL; ``url`` and ``reason`` say which and why."""

    def __init__(self, url: str, reason: str) -> None:
        super().__init__(f"could not stage in {url}: {reason}")
        self.url = url
        self.reason = reason

    def __reduce__(self) -> tuple[object, ...]:
        return (type(self), (self.url, self.reason))


class RSyncError(StagingError):
    """An rsync transfer could not run or exited non-zero; ``command`` is its argument list."""

    def __init__(self, command: Sequence[str], reason: str) -> None:
        super().__init__(f"rsync transfer {' '.join(command)!r} failed: {reason}")
        self.command = list(command)
        self.reason = reason

    def __reduce__(self) -> tuple[object, ...]:
        return (type(self), (self.command, self.reason))


class ZipStagingError(StagingError):
    """A ``zip:`` file could not be staged; ``url`` and ``reason`` say which and why."""

    def __init__(self, url: str, reason: str) -> None:
        super().__init__(f"zip staging of {url} failed: {reason}")
        self.url = url
        self.reason = reason

    def __reduce__(self) -> tuple[object, ...]:
        return (type(self), (self.url, self.reason))


class GlobusAuthError(StagingError):
    """No usable Globus credentials, or Globus refused them; the message says how to fix it."""


class GlobusTransferError(StagingError):
    """A Globus transfer task failed; ``task_id`` names it and ``reason`` carries Globus's events."""

    def __init__(self, task_id: str, reason: str) -> None:
        super().__init__(f"Globus transfer task {task_id} failed: {reason}")
        self.task_id = task_id
        self.reason = reason

    def __reduce__(self) -> tuple[object, ...]:
        return (type(self), (self.task_id, self.reason))


class GlobusTransferTimeout(GlobusTransferError):
    """A Globus transfer task did not finish within its deadline and was cancelled."""

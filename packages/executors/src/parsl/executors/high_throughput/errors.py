"""Exceptions of the HighThroughputExecutor's wire protocol and task dispatch.

Everything here hangs under :class:`HighThroughputError`, itself a
:class:`parsl.errors.ParslError`, so ``except ParslError`` still catches all.
"""

from __future__ import annotations

import time
from collections.abc import Iterable

from parsl.errors import ConfigurationError, ParslError
from parsl.executors.errors import BadStateException
from parsl.jobs.errors import TooManyJobFailuresError


class HighThroughputError(ParslError):
    """Base class of the HighThroughputExecutor's own failures."""


class ProtocolError(HighThroughputError):
    """Something that crosses a process boundary breaks the wire protocol."""


class MalformedMessage(ProtocolError):
    """Bytes, or the fields given to a message, do not form a valid message; the text says why."""


class VersionMismatch(HighThroughputError):
    """Two sides that must agree on versions do not; the text names both sides' versions.

    :attr:`mismatches` holds one ``(component, remote, local)`` triple per
    disagreeing component (``"protocol"``, ``"python"``, ...).
    """

    def __init__(
        self,
        mismatches: Iterable[tuple[str, str, str]],
        *,
        remote_name: str = "remote side",
        local_name: str = "local side",
    ) -> None:
        self.mismatches = tuple(mismatches)
        self.remote_name = remote_name
        self.local_name = local_name
        parts = "; ".join(
            f"{component} {remote} on {remote_name} vs {local} on {local_name}"
            for component, remote, local in self.mismatches
        )
        super().__init__(
            f"{remote_name} is incompatible with {local_name}: {parts}. "
            "Install the same Python minor version and the same Parsl package versions "
            "on both sides."
        )

    def __reduce__(self) -> tuple[object, ...]:
        return (
            _rebuild_version_mismatch,
            (type(self), self.mismatches, self.remote_name, self.local_name),
        )


class ProtocolVersionMismatch(VersionMismatch, ProtocolError):
    """A received frame carries a wire-protocol version this side does not speak."""

    def __init__(self, remote_version: int, local_version: int) -> None:
        super().__init__(
            [("protocol version", str(remote_version), str(local_version))],
            remote_name="the sender",
            local_name="this process",
        )
        self.remote_version = remote_version
        self.local_version = local_version

    def __reduce__(self) -> tuple[object, ...]:
        return (type(self), (self.remote_version, self.local_version))


def _rebuild_version_mismatch(
    cls: type[VersionMismatch],
    mismatches: tuple[tuple[str, str, str], ...],
    remote_name: str,
    local_name: str,
) -> VersionMismatch:
    """Unpickle a :class:`VersionMismatch` (its constructor takes keyword arguments)."""
    return cls(mismatches, remote_name=remote_name, local_name=local_name)


class InvalidDispatchEvent(HighThroughputError):
    """The task dispatch was fed an event with invalid arguments (a bug in its caller)."""


class InvalidTaskContext(HighThroughputError, ValueError):
    """A ``submit_payload`` context (its ``task_executor`` entry) is malformed; the text says how."""


class ManagerLost(HighThroughputError):
    """The manager running a task was lost (silent past its heartbeat threshold, gone, or its block cancelled).

    :attr:`hostname` (as in Parsl) is the host the manager registered from,
    "" where it is not known; :attr:`tstamp` (as in Parsl) when the loss was
    raised (``time.time()``).
    """

    def __init__(self, manager_id: str, reason: str, hostname: str = "") -> None:
        where = f" on {hostname}" if hostname else ""
        super().__init__(f"Task failed because manager {manager_id!r}{where} was lost: {reason}")
        self.manager_id = manager_id
        self.reason = reason
        self.hostname = hostname
        self.tstamp = time.time()

    def __reduce__(self) -> tuple[type[ManagerLost], tuple[str, str, str], dict[str, float]]:
        return (type(self), (self.manager_id, self.reason, self.hostname), {"tstamp": self.tstamp})


class WorkerLost(HighThroughputError):
    """The worker process running a task died before returning a result.

    :attr:`hostname` (as in Parsl) is its manager's host, "" where it is not known.
    """

    def __init__(self, manager_id: str, reason: str, hostname: str = "") -> None:
        where = f" on {hostname}" if hostname else ""
        super().__init__(
            f"Task failed because its worker on manager {manager_id!r}{where} was lost: {reason}"
        )
        self.manager_id = manager_id
        self.reason = reason
        self.hostname = hostname

    def __reduce__(self) -> tuple[type[WorkerLost], tuple[str, str, str]]:
        return (type(self), (self.manager_id, self.reason, self.hostname))


class TaskExited(WorkerLost):
    """The task raised :class:`SystemExit` (``sys.exit()``, ``exit()``) in its worker.

    In Parsl the worker process ends with it and the task fails with
    :class:`WorkerLost`; here the worker catches it and lives on, and the
    task fails with this, a :class:`WorkerLost` too, so code written for
    Parsl handles it as before. Never :class:`SystemExit` itself: that, raised
    by ``future.result()``, would end the submitting script without a word.
    :attr:`code` is the exit code or message (``SystemExit.code``).
    """

    def __init__(self, code: object, worker_id: str = "", hostname: str = "") -> None:
        self.code = code
        self.worker_id = worker_id
        HighThroughputError.__init__(
            self,
            f"Task called sys.exit({code!r}) (raised SystemExit) in worker {worker_id!r}"
            + (f" on {hostname}" if hostname else "")
            + "; the task failed and the worker lives on",
        )
        self.manager_id = ""
        self.reason = f"the task raised SystemExit({code!r})"
        self.hostname = hostname

    def __reduce__(self) -> tuple[type[TaskExited], tuple[object, str, str]]:  # type: ignore[override]
        return (type(self), (self.code, self.worker_id, self.hostname))


class InterchangeStartFailed(HighThroughputError):
    """The interchange process did not start, or did not report ready in time; the text says why."""


class InterchangeLost(BadStateException, HighThroughputError):
    """The interchange process ended while the executor was running; outstanding tasks fail with this."""

    def __reduce__(self) -> tuple[type[InterchangeLost], tuple[str, str]]:
        return (type(self), (self.executor_label, self.reason))


class PortBindFailed(HighThroughputError):
    """A socket could not bind to the requested address and port (range); the text names both."""


class CommandTimeout(HighThroughputError):
    """The interchange did not answer a request from the executor in time."""


class BlocksFailed(BadStateException, HighThroughputError, TooManyJobFailuresError):
    """Blocks from the provider kept failing; the text carries the last one's stdout and stderr.

    Also Parsl's :class:`~parsl.jobs.errors.TooManyJobFailuresError`.
    """

    def __reduce__(self) -> tuple[type[BlocksFailed], tuple[str, str]]:
        return (type(self), (self.executor_label, self.reason))


class UnknownMPILauncher(ConfigurationError, ValueError):
    """``mpi_launcher`` is not one of the MPI launchers htex knows (a ValueError, as in Parsl)."""


class MPILauncherError(ConfigurationError, TypeError):
    """MPI mode was given a provider whose launcher starts more than one manager per block.

    Two managers in one block would each share out the same nodes. (A
    TypeError as well, as Parsl raises for this.)
    """

"""Parsl's monitoring exceptions, under Parsl's module path ``parsl.monitoring.errors``.

:class:`MonitoringRouterStartError` is raised when a monitoring receiver
cannot start: a radio's receiver that cannot listen (a ``UDPRadio`` port in
use, a ``FilesystemRadio`` directory that cannot be made) and, with
``parsl-monitoring``, a database writer process that cannot be started.
Parsl names the process that gathers messages its router; the message here
says which part failed and why.

:class:`RadioRequiredError` is importable for code written against Parsl,
which fails a task whose executor has no ``remote_monitoring_radio``. Here
such an executor runs its tasks without remote monitoring instead (the
submit side's states are still recorded), so nothing raises it.
"""

from __future__ import annotations

from parsl.errors import ParslError

__all__ = ["MonitoringRouterStartError", "RadioRequiredError"]


class MonitoringRouterStartError(ParslError):
    """A monitoring receiver could not start; the message says which and why."""

    def __init__(self, message: str = "Monitoring router failed to start") -> None:
        super().__init__(message)


class RadioRequiredError(ParslError):
    """Parsl's error for an executor without a radio (not raised here: see the module)."""

    def __init__(
        self, message: str = "A radio must be configured for remote task monitoring"
    ) -> None:
        super().__init__(message)

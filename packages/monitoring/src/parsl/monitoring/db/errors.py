"""The exceptions parsl-monitoring raises, under :class:`parsl.errors.ParslError`."""

from __future__ import annotations

from parsl.errors import ParslError
from parsl.monitoring.errors import MonitoringRouterStartError


class MonitoringError(ParslError):
    """Base class of the errors raised by the monitoring hub and its database helpers."""


class MonitoringDatabaseError(MonitoringError):
    """The monitoring database could not be reached, opened, read or written."""


class MonitoringSchemaError(MonitoringDatabaseError):
    """The database holds tables of another schema version (or of another program)."""


class MonitoringWriterStartError(MonitoringDatabaseError, MonitoringRouterStartError):
    """The database writer process could not be started (Parsl's ``MonitoringRouterStartError``)."""


class MonitoringStateError(MonitoringError):
    """A MonitoringHub method was called at the wrong point of its life (e.g. start twice)."""


class MonitoringEventError(MonitoringError, TypeError):
    """``task_transition`` or ``send`` was given something that is not a monitoring event."""

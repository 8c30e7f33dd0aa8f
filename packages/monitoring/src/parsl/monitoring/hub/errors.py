"""The exceptions parsl-monitoring raises (defined in :mod:`parsl.monitoring.db.errors`)."""

from __future__ import annotations

from parsl.monitoring.db.errors import (
    MonitoringDatabaseError,
    MonitoringError,
    MonitoringEventError,
    MonitoringSchemaError,
    MonitoringStateError,
    MonitoringWriterStartError,
)

__all__ = [
    "MonitoringDatabaseError",
    "MonitoringError",
    "MonitoringEventError",
    "MonitoringSchemaError",
    "MonitoringStateError",
    "MonitoringWriterStartError",
]

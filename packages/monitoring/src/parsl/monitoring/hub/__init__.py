"""parsl-monitoring's hub: ``MonitoringHub`` writes a workflow's monitoring records to a database.

``from parsl.monitoring import MonitoringHub`` resolves here through the
``parsl.monitoring`` entry-point group. ``query`` reads the records back.
"""

from __future__ import annotations

from parsl.monitoring.db.engine import check_url, default_url, open_for_reading
from parsl.monitoring.db.errors import (
    MonitoringDatabaseError,
    MonitoringError,
    MonitoringEventError,
    MonitoringSchemaError,
    MonitoringStateError,
)
from parsl.monitoring.hub.hub import MonitoringHub

__all__ = [
    "MonitoringDatabaseError",
    "MonitoringError",
    "MonitoringEventError",
    "MonitoringHub",
    "MonitoringSchemaError",
    "MonitoringStateError",
    "check_url",
    "default_url",
    "open_for_reading",
]

"""parsl-monitoring's hub: ``MonitoringHub`` writes task transitions to SQLite; ``query`` reads them back.

``from parsl.monitoring import MonitoringHub`` resolves here through the
``parsl.monitoring`` entry-point group.
"""

from __future__ import annotations

from parsl.monitoring.hub.endpoint import database_path_from_url, default_database_path
from parsl.monitoring.hub.errors import (
    MonitoringDatabaseError,
    MonitoringError,
    MonitoringEventError,
    MonitoringStateError,
)
from parsl.monitoring.hub.hub import MonitoringHub

__all__ = [
    "MonitoringDatabaseError",
    "MonitoringError",
    "MonitoringEventError",
    "MonitoringHub",
    "MonitoringStateError",
    "database_path_from_url",
    "default_database_path",
]

"""``parsl-visualize``: a web view of a monitoring database, and a one-file HTML report.

The web view (:class:`BackgroundServer`, or the ``parsl-visualize`` command)
reads the database read-only and renders every chart as inline SVG on the
server, so pages work offline; a live page polls for its changed sections.
:func:`write_report` writes the same views into one self-contained file.
Needs the ``visualization`` extra: ``pip install 'parsl-monitoring[visualization]'``.
"""

from __future__ import annotations

from parsl.monitoring.visualization.database import DEFAULT_DB_URL, Database, open_database
from parsl.monitoring.visualization.errors import (
    BadRequestError,
    DatabaseOpenError,
    DatabaseURLError,
    NotFoundError,
    SchemaVersionError,
    ServerStartError,
    VisualizationError,
)
from parsl.monitoring.visualization.report import build_report, write_report
from parsl.monitoring.visualization.server import BackgroundServer, VisualizeApp

__all__ = [
    "DEFAULT_DB_URL",
    "BackgroundServer",
    "BadRequestError",
    "Database",
    "DatabaseOpenError",
    "DatabaseURLError",
    "NotFoundError",
    "SchemaVersionError",
    "ServerStartError",
    "VisualizationError",
    "VisualizeApp",
    "build_report",
    "open_database",
    "write_report",
]

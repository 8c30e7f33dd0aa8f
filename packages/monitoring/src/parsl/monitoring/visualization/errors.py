"""The exceptions ``parsl-visualize`` raises; each carries a message a user can act on."""

from __future__ import annotations

from parsl.errors import ParslError


class VisualizationError(ParslError):
    """Base class of the errors raised by ``parsl-visualize`` and its report writer."""


class DatabaseURLError(VisualizationError):
    """The database URL names a dialect ``parsl-visualize`` cannot read, or is malformed."""


class DatabaseOpenError(VisualizationError):
    """The monitoring database could not be opened or read."""


class SchemaVersionError(VisualizationError):
    """The database was written with another schema version (or is not a monitoring database)."""


class NotFoundError(VisualizationError):
    """A workflow run id or task id that the database does not have."""


class ServerStartError(VisualizationError):
    """The web server could not listen on the requested address and port (e.g. it is in use)."""


class BadRequestError(VisualizationError):
    """A page was asked for with a query parameter of the wrong form (e.g. ``page=abc``)."""

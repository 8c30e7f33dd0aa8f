"""Where the monitoring database lives: parsing ``logging_endpoint`` URLs.

``logging_endpoint`` uses SQLAlchemy's URL spelling so that Parsl configs
work unchanged, but only SQLite is supported and it is opened with the
standard library's :mod:`sqlite3`:

* ``sqlite:///relative/path.db`` -- relative to the current directory
* ``sqlite:////absolute/path.db`` -- four slashes for an absolute path
"""

from __future__ import annotations

import os

from parsl.errors import ConfigurationError

DEFAULT_DB_NAME = "monitoring.db"
"""The database's file name when ``logging_endpoint`` is not given."""

_SQLITE_SCHEMES = ("sqlite", "sqlite+pysqlite")


def database_path_from_url(url: str) -> str:
    """Return the file path named by an ``sqlite:///...`` URL.

    Raises :class:`~parsl.errors.ConfigurationError` naming the value and the
    fix for anything else: another database, an in-memory database, a bare
    path, or URL query options.
    """
    field = "logging_endpoint"
    if not isinstance(url, str):
        raise ConfigurationError(
            f"{field}={url!r} is not valid: expected a URL string such as "
            "'sqlite:///runinfo/monitoring.db'",
            field=field,
            value=url,
        )
    scheme, sep, rest = url.partition("://")
    if not sep:
        raise ConfigurationError(
            f"{field}={url!r} is not a database URL: write it as 'sqlite:///{url}' "
            "(three slashes, then the path; four for an absolute path)",
            field=field,
            value=url,
        )
    if scheme.lower() not in _SQLITE_SCHEMES:
        raise ConfigurationError(
            f"{field}={url!r}: the {scheme!r} database is not supported; parsl-monitoring "
            "only writes SQLite. Use e.g. logging_endpoint='sqlite:///runinfo/monitoring.db'",
            field=field,
            value=url,
        )
    if not rest.startswith("/") or rest == "/":
        raise ConfigurationError(
            f"{field}={url!r} names no database file (an in-memory or host-only SQLite URL "
            "cannot be shared with the monitoring writer); use 'sqlite:///path/monitoring.db'",
            field=field,
            value=url,
        )
    path = rest[1:]
    if "?" in path:
        raise ConfigurationError(
            f"{field}={url!r}: URL query options are not supported; remove everything from '?' on",
            field=field,
            value=url,
        )
    if path.endswith("/"):
        raise ConfigurationError(
            f"{field}={url!r} names a directory, not a database file; add a file name "
            f"such as '{DEFAULT_DB_NAME}'",
            field=field,
            value=url,
        )
    return path


def default_database_path(run_dir: str) -> str:
    """The default database: ``monitoring.db`` beside the run directory (``runinfo/monitoring.db``)."""
    return os.path.join(os.path.dirname(os.path.abspath(run_dir)), DEFAULT_DB_NAME)

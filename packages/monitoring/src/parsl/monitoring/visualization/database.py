"""Opening the monitoring database read-only, whatever its dialect, and checking its schema.

``parsl-visualize`` never writes: SQLite files are opened with SQLite's
``mode=ro`` URI (so a running workflow's writer is never blocked by us and
a typo cannot create an empty file), PostgreSQL sessions start with
``default_transaction_read_only=on``.
"""

from __future__ import annotations

import os
import sqlite3
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from sqlalchemy import Float, cast, create_engine, func, inspect, select
from sqlalchemy.engine import URL, Engine, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError, SQLAlchemyError
from sqlalchemy.pool import QueuePool
from sqlalchemy.sql.elements import ColumnElement

from parsl.monitoring.db import tables
from parsl.monitoring.visualization.errors import (
    DatabaseOpenError,
    DatabaseURLError,
    SchemaVersionError,
)

DEFAULT_DB_URL = "sqlite:///./runinfo/monitoring.db"
"""Where MonitoringHub writes by default, relative to the directory the workflow ran in."""

SUPPORTED_DIALECTS = ("sqlite", "postgresql")


def parse_url(text: str) -> URL:
    """Parse ``text`` as an SQLAlchemy URL of a dialect we read, or raise DatabaseURLError."""
    if "://" not in text:
        raise DatabaseURLError(
            f"{text!r} is not a database URL; for a SQLite file write 'sqlite:///{text}' "
            "(three slashes, then the path; four for an absolute path)"
        )
    try:
        url = make_url(text)
    except (ArgumentError, ValueError) as e:
        raise DatabaseURLError(f"{text!r} is not a valid database URL: {e}") from None
    if url.get_backend_name() not in SUPPORTED_DIALECTS:
        raise DatabaseURLError(
            f"unknown database dialect {url.get_backend_name()!r} in {text!r}: parsl-visualize "
            "reads SQLite ('sqlite:///path/monitoring.db') and PostgreSQL "
            "('postgresql+psycopg://user@host/dbname')"
        )
    if url.get_backend_name() == "sqlite" and not url.database:
        raise DatabaseURLError(
            f"{text!r} names no database file; use 'sqlite:///path/to/monitoring.db'"
        )
    return url


def _sqlite_engine(url: URL) -> Engine:
    path = os.path.abspath(str(url.database))
    if not os.path.isfile(path):
        raise DatabaseOpenError(
            f"no monitoring database at {path}: run a workflow with MonitoringHub first, "
            "or give the database URL (parsl-visualize sqlite:///path/to/monitoring.db)"
        )
    uri = f"file:{quote(path)}?mode=ro"

    def connect() -> sqlite3.Connection:
        return sqlite3.connect(uri, uri=True, check_same_thread=False, timeout=10.0)

    return create_engine("sqlite+pysqlite://", creator=connect, poolclass=QueuePool)


def _postgresql_engine(url: URL) -> Engine:
    try:
        return create_engine(
            url,
            connect_args={"options": "-c default_transaction_read_only=on"},
            pool_pre_ping=True,
        )
    except (NoSuchModuleError, ModuleNotFoundError) as e:
        raise DatabaseURLError(
            f"cannot load the PostgreSQL driver for {url.render_as_string()!r} ({e}); "
            "install it with: pip install 'parsl-monitoring[postgresql]'"
        ) from None


@dataclass(frozen=True)
class Database:
    """A read-only handle on one monitoring database."""

    engine: Engine
    url: str
    """The URL as given, with any password hidden."""

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    def epoch(self, column: Any) -> ColumnElement[float]:
        """``column`` (a DateTime) as seconds, computed in SQL, for bucketing and durations."""
        if self.dialect == "sqlite":
            return cast((func.julianday(column) - 2440587.5) * 86400.0, Float)
        return cast(func.extract("epoch", column), Float)

    def close(self) -> None:
        self.engine.dispose()


def check_schema(engine: Engine, shown: str) -> None:
    """Raise SchemaVersionError unless the database holds our tables at ``tables.SCHEMA_VERSION``."""
    try:
        names = set(inspect(engine).get_table_names())
        if "parsl_schema" not in names:
            missing = sorted(set(tables.TABLES) - names)
            what = (
                "it has none of the monitoring tables"
                if len(missing) == len(tables.TABLES)
                else "it has no parsl_schema table (written by another monitoring version?)"
            )
            raise SchemaVersionError(
                f"{shown} is not a parsl-monitoring database of schema version "
                f"{tables.SCHEMA_VERSION}: {what}"
            )
        with engine.connect() as conn:
            found = conn.execute(select(func.max(tables.parsl_schema.c.version))).scalar()
    except DBAPIError as e:
        raise DatabaseOpenError(f"cannot read {shown}: {e.orig}") from None
    except SQLAlchemyError as e:
        raise DatabaseOpenError(f"cannot read {shown}: {e}") from None
    if found != tables.SCHEMA_VERSION:
        raise SchemaVersionError(
            f"{shown} has monitoring schema version {found}; this parsl-visualize reads version "
            f"{tables.SCHEMA_VERSION}. Use the parsl-monitoring release that wrote it."
        )


def open_database(text: str) -> Database:
    """Open the database at URL ``text`` read-only and check its schema version.

    Raises DatabaseURLError (bad or unsupported URL), DatabaseOpenError (file
    missing, server unreachable) or SchemaVersionError.
    """
    url = parse_url(text)
    shown = url.render_as_string(hide_password=True)
    engine = _sqlite_engine(url) if url.get_backend_name() == "sqlite" else _postgresql_engine(url)
    try:
        check_schema(engine, shown)
    except Exception:
        engine.dispose()
        raise
    return Database(engine=engine, url=shown)

"""Opening the monitoring database: URL checks, engines for writing and reading, the schema.

``logging_endpoint`` is an SQLAlchemy URL. Two databases are supported:

* SQLite (the default, ``sqlite:///runinfo/monitoring.db``; four slashes for
  an absolute path). Opened in WAL mode, so readers never block the writer
  and the writer never blocks readers; writes start with ``BEGIN IMMEDIATE``
  so that two workflows appending to one file queue up instead of failing.
* PostgreSQL (``postgresql+psycopg://user@host:port/dbname``), with the
  ``postgresql`` extra (``pip install 'parsl-monitoring[postgresql]'``).

The schema's version lives in the ``parsl_schema`` table. A database that
has monitoring tables but another version (or none: Parsl's own file, or
this package's schema 1) is refused with :class:`MonitoringSchemaError`.
"""

from __future__ import annotations

import os
from typing import Any
from urllib.parse import quote

from sqlalchemy import Connection, Engine, create_engine, event, inspect, select, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError, SQLAlchemyError

from parsl.errors import ConfigurationError
from parsl.monitoring.db import tables
from parsl.monitoring.db.errors import MonitoringDatabaseError, MonitoringSchemaError

DEFAULT_DB_NAME = "monitoring.db"
"""The database's file name when ``logging_endpoint`` is not given."""

BUSY_TIMEOUT_S = 20.0
"""How long an SQLite write waits for another process holding the write lock."""

CONNECT_TIMEOUT_S = 10
"""How long opening a PostgreSQL connection may take before it is an error."""

SUPPORTED = ("sqlite", "postgresql")

_FIELD = "logging_endpoint"


def _config_error(url: object, why: str) -> ConfigurationError:
    return ConfigurationError(f"{_FIELD}={url!r}: {why}", field=_FIELD, value=url)


def check_url(url: object) -> URL:
    """Parse and check a ``logging_endpoint`` URL; a clear ConfigurationError for anything unusable.

    Checks the dialect is one parsl-monitoring writes (SQLite, PostgreSQL),
    that its driver is installed, and that an SQLite URL names a file.
    """
    if not isinstance(url, str | URL):
        raise _config_error(url, "expected a URL string such as 'sqlite:///runinfo/monitoring.db'")
    try:
        parsed = make_url(url)
    except ArgumentError as e:
        hint = f"'sqlite:///{url}'" if isinstance(url, str) else "'sqlite:///monitoring.db'"
        raise _config_error(url, f"is not a database URL; for a file write {hint}") from e
    backend = parsed.get_backend_name()
    if backend not in SUPPORTED:
        raise _config_error(
            url,
            f"the {backend!r} database is not supported; parsl-monitoring writes SQLite "
            "('sqlite:///runinfo/monitoring.db') or PostgreSQL "
            "('postgresql+psycopg://user@host/dbname')",
        )
    try:
        dialect = parsed.get_dialect()
        dialect.import_dbapi()
    except (NoSuchModuleError, ImportError) as e:
        extra = (
            " (pip install 'parsl-monitoring[postgresql]' and use postgresql+psycopg://)"
            if backend == "postgresql"
            else ""
        )
        raise _config_error(
            url, f"the database driver {parsed.drivername!r} is not available: {e}{extra}"
        ) from e
    if backend == "sqlite":
        db = parsed.database or ""
        if not db or db == ":memory:" or db.startswith("file::memory:"):
            raise _config_error(
                url,
                "names no database file (an in-memory SQLite database cannot be shared with "
                "readers); use 'sqlite:///path/monitoring.db'",
            )
        if db.endswith("/"):
            raise _config_error(
                url, f"names a directory; add a file name such as '{DEFAULT_DB_NAME}'"
            )
    return parsed


def default_url(run_dir: str) -> URL:
    """The default database: ``monitoring.db`` beside the run directory (``runinfo/monitoring.db``)."""
    path = os.path.join(os.path.dirname(os.path.abspath(run_dir)), DEFAULT_DB_NAME)
    return URL.create("sqlite", database=path)


def absolute(url: URL) -> URL:
    """``url`` with a relative SQLite path made absolute (against the current directory)."""
    if url.get_backend_name() == "sqlite" and url.database and not url.database.startswith("file:"):
        return url.set(database=os.path.abspath(url.database))
    return url


def describe(url: URL) -> str:
    """The URL for messages, password hidden."""
    return url.render_as_string(hide_password=True)


def _sqlite_engine(url: URL, *, read_only: bool) -> Engine:
    path = url.database or ""
    if read_only:
        if not os.path.isfile(path):
            raise MonitoringDatabaseError(f"no monitoring database at {path!r}")
        url = url.set(database="file:" + quote(path, safe="/"), query={"mode": "ro", "uri": "true"})
    else:
        try:
            os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
        except OSError as e:
            raise MonitoringDatabaseError(f"cannot create the directory of {path!r}: {e}") from e
    engine = create_engine(
        url, connect_args={"timeout": BUSY_TIMEOUT_S, "check_same_thread": False}
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None  # we issue BEGIN ourselves (below)
        cur = dbapi_conn.cursor()
        try:
            if not read_only:
                cur.execute("PRAGMA journal_mode = WAL")
                cur.execute("PRAGMA synchronous = NORMAL")
            cur.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_S * 1000)}")
        finally:
            cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        conn.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")

    return engine


def make_engine(url: URL, *, read_only: bool = False) -> Engine:
    """An engine for ``url`` (no connection is made yet)."""
    if url.get_backend_name() == "sqlite":
        return _sqlite_engine(url, read_only=read_only)
    connect_args: dict[str, Any] = {"connect_timeout": CONNECT_TIMEOUT_S}
    if read_only:
        connect_args["options"] = "-c default_transaction_read_only=on"
    return create_engine(url, connect_args=connect_args, pool_pre_ping=True)


def _create(conn: Connection) -> None:
    """Create the missing tables, and the views of Parsl's other names for the provenance tables."""
    tables.metadata.create_all(conn)
    # (SQLite has CREATE VIEW IF NOT EXISTS, PostgreSQL CREATE OR REPLACE VIEW.)
    create = (
        "CREATE VIEW IF NOT EXISTS" if conn.dialect.name == "sqlite" else "CREATE OR REPLACE VIEW"
    )
    for view, table in tables.PROVENANCE_VIEWS.items():
        conn.execute(text(f'{create} "{view}" AS SELECT * FROM "{table}"'))


def _check_schema(conn: Connection, where: str, *, create: bool) -> None:
    names = set(inspect(conn).get_table_names())
    if tables.parsl_schema.name in names:
        found = set(conn.execute(select(tables.parsl_schema.c.version)).scalars())
        if found != {tables.SCHEMA_VERSION}:
            raise MonitoringSchemaError(
                f"monitoring database {where} has schema version "
                f"{', '.join(map(str, sorted(found))) or 'none'}; this parsl-monitoring uses "
                f"version {tables.SCHEMA_VERSION}. Point logging_endpoint at a new database"
            )
        missing = set(tables.TABLES) - names
        if missing and not create:
            raise MonitoringSchemaError(
                f"monitoring database {where} lacks the tables {sorted(missing)}"
            )
        if missing:
            _create(conn)
        return
    if names & {"workflow", "task", "status", "try", "resource", "node", "block"}:
        raise MonitoringSchemaError(
            f"monitoring database {where} has monitoring tables of another schema (no "
            "parsl_schema version: written by Parsl or an older parsl-monitoring). "
            "Point logging_endpoint at a new database"
        )
    if not create:
        raise MonitoringSchemaError(f"{where} is not a parsl monitoring database (no tables)")
    _create(conn)
    conn.execute(tables.parsl_schema.insert().values(version=tables.SCHEMA_VERSION))


def open_for_writing(url: URL) -> Engine:
    """Connect to ``url``, create the tables if it is empty and check the schema version.

    Raises :class:`MonitoringDatabaseError` naming the database when it
    cannot be reached or opened, and :class:`MonitoringSchemaError` when it
    holds another schema.
    """
    where = repr(describe(url))
    engine = make_engine(url)
    try:
        with engine.begin() as conn:
            if url.get_backend_name() == "postgresql":
                # Two workflows starting at once must not both create the tables.
                conn.execute(text("SELECT pg_advisory_xact_lock(7261000)"))
            _check_schema(conn, where, create=True)
    except MonitoringDatabaseError:
        engine.dispose()
        raise
    except SQLAlchemyError as e:
        engine.dispose()
        raise MonitoringDatabaseError(
            f"cannot open monitoring database {where}: {getattr(e, 'orig', None) or e}"
        ) from e
    return engine


def open_for_reading(url_or_path: str | os.PathLike[str] | URL) -> Engine:
    """A read-only engine over an existing monitoring database (a URL, or an SQLite file path).

    Never creates a database. Raises :class:`MonitoringDatabaseError` when
    it is missing or unreachable and :class:`MonitoringSchemaError` when it
    is not a monitoring database of this schema version.
    """
    if isinstance(url_or_path, URL):
        url = url_or_path
    elif isinstance(url_or_path, str) and "://" in url_or_path:
        url = check_url(url_or_path)
    else:
        url = URL.create("sqlite", database=os.fspath(url_or_path))
    url = absolute(url)
    where = repr(describe(url))
    engine = make_engine(url, read_only=True)
    try:
        with engine.connect() as conn:
            _check_schema(conn, where, create=False)
    except MonitoringDatabaseError:
        engine.dispose()
        raise
    except SQLAlchemyError as e:
        engine.dispose()
        raise MonitoringDatabaseError(
            f"cannot read monitoring database {where}: {getattr(e, 'orig', None) or e}"
        ) from e
    return engine

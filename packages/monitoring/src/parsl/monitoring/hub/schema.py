"""The monitoring database's tables, and opening the database for writing or reading.

Times are Unix timestamps (seconds, float). The schema carries a version in
SQLite's ``user_version``; a database written by an incompatible version is
refused with a clear error instead of being half-understood.
"""

from __future__ import annotations

import os
import sqlite3
from urllib.parse import quote

from parsl.monitoring.hub.errors import MonitoringDatabaseError

SCHEMA_VERSION = 1
"""Bumped whenever a table or column changes incompatibly."""

BUSY_TIMEOUT_S = 20.0
"""How long a write waits for another process (e.g. a second workflow) holding the write lock."""

TABLES = """
CREATE TABLE IF NOT EXISTS workflow (
    run_id TEXT PRIMARY KEY NOT NULL,
    workflow_name TEXT,
    workflow_version TEXT,
    time_began REAL NOT NULL,
    time_completed REAL,
    rundir TEXT,
    tasks_completed_count INTEGER NOT NULL DEFAULT 0,
    tasks_failed_count INTEGER NOT NULL DEFAULT 0,
    host TEXT,
    user TEXT
);
CREATE TABLE IF NOT EXISTS task (
    run_id TEXT NOT NULL,
    task_id INTEGER NOT NULL,
    task_func_name TEXT,
    task_executor TEXT,
    task_time_invoked REAL,
    task_time_returned REAL,
    task_status_name TEXT NOT NULL,
    task_fail_reason TEXT,
    task_try_count INTEGER NOT NULL DEFAULT 0,
    task_fail_count INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (run_id, task_id)
);
CREATE TABLE IF NOT EXISTS status (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    run_id TEXT NOT NULL,
    task_id INTEGER NOT NULL,
    try_id INTEGER NOT NULL,
    task_status_name TEXT NOT NULL,
    timestamp REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS status_by_task ON status (run_id, task_id, timestamp);
"""


def _check_version(conn: sqlite3.Connection, path: str) -> int:
    found = int(conn.execute("PRAGMA user_version").fetchone()[0])
    if found not in (0, SCHEMA_VERSION):
        raise MonitoringDatabaseError(
            f"monitoring database {path!r} has schema version {found}, this parsl-monitoring "
            f"writes version {SCHEMA_VERSION}; point logging_endpoint at a new file"
        )
    return found


def open_for_writing(path: str) -> sqlite3.Connection:
    """Open (creating if needed) the database at ``path``, in WAL mode, with every table present.

    The connection may be handed to one other thread (the writer). The
    parent directory is created. Raises :class:`MonitoringDatabaseError`
    naming the path when it is not a usable SQLite database.
    """
    try:
        os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
        conn = sqlite3.connect(
            path, timeout=BUSY_TIMEOUT_S, isolation_level=None, check_same_thread=False
        )
    except (sqlite3.Error, OSError) as e:
        raise MonitoringDatabaseError(f"cannot open monitoring database {path!r}: {e}") from e
    try:
        if _check_version(conn, path) == 0:
            conn.executescript(f"BEGIN; {TABLES} PRAGMA user_version = {SCHEMA_VERSION}; COMMIT;")
        mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
        if str(mode).lower() != "wal":
            raise MonitoringDatabaseError(
                f"monitoring database {path!r} could not be switched to WAL mode (got {mode!r})"
            )
        conn.execute("PRAGMA synchronous = NORMAL")
    except sqlite3.Error as e:
        conn.close()
        raise MonitoringDatabaseError(f"cannot open monitoring database {path!r}: {e}") from e
    except BaseException:
        conn.close()
        raise
    return conn


def open_for_reading(path: str | os.PathLike[str]) -> sqlite3.Connection:
    """Open an existing database read-only, rows as :class:`sqlite3.Row`.

    Raises :class:`MonitoringDatabaseError` when the file is missing or is
    not a monitoring database.
    """
    spath = os.fspath(path)
    if not os.path.isfile(spath):
        raise MonitoringDatabaseError(f"no monitoring database at {spath!r}")
    uri = "file:" + quote(os.path.abspath(spath), safe="/") + "?mode=ro"
    try:
        conn = sqlite3.connect(uri, uri=True, timeout=BUSY_TIMEOUT_S)
    except sqlite3.Error as e:
        raise MonitoringDatabaseError(f"cannot read monitoring database {spath!r}: {e}") from e
    try:
        conn.row_factory = sqlite3.Row
        if _check_version(conn, spath) == 0:
            raise MonitoringDatabaseError(
                f"{spath!r} is an SQLite file but not a parsl monitoring database (no schema)"
            )
    except sqlite3.Error as e:
        conn.close()
        raise MonitoringDatabaseError(f"cannot read monitoring database {spath!r}: {e}") from e
    except BaseException:
        conn.close()
        raise
    return conn

"""Reading the monitoring database in the monitoring integration tests."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any


def rows(db: Path, sql: str, *args: Any) -> list[tuple[Any, ...]]:
    """Read-only query of the monitoring database."""
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        return conn.execute(sql, args).fetchall()
    finally:
        conn.close()

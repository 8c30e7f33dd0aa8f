"""Queries behind the task page and the task DAG."""

from __future__ import annotations

import os
import re
import urllib.parse
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.engine import Connection

from parsl.monitoring.db.tables import resource, status, task, try_
from parsl.monitoring.visualization.database import Database
from parsl.monitoring.visualization.errors import NotFoundError

MAX_SAMPLES = 2000
"""Resource samples drawn per task (the first ones); a task page never loads more."""

TAIL_BYTES = 4096
"""How much of the end of a task's stdout/stderr the task page shows."""

DAG_MAX_TASKS = 300
"""Tasks drawn in one DAG window; bigger workflows are paged through by task id."""


def parse_depends(text: str | None) -> list[int]:
    """Task ids in a ``task_depends`` value (comma or space separated)."""
    if not text:
        return []
    return [int(t) for t in re.findall(r"-?\d+", text)]


def get_task(conn: Connection, run_id: str, task_id: int) -> dict[str, Any]:
    row = conn.execute(
        select(task).where(task.c.run_id == run_id, task.c.task_id == task_id)
    ).first()
    if row is None:
        raise NotFoundError(f"no task {task_id} in workflow {run_id!r}")
    return {**row._asdict(), "depends": parse_depends(row.task_depends)}


def status_history(conn: Connection, run_id: str, task_id: int) -> list[dict[str, Any]]:
    rows = conn.execute(
        select(status.c.task_status_name, status.c.timestamp, status.c.try_id)
        .where(status.c.run_id == run_id, status.c.task_id == task_id)
        .order_by(status.c.timestamp)
        .limit(1000)
    ).all()
    return [r._asdict() for r in rows]


def tries(conn: Connection, run_id: str, task_id: int) -> list[dict[str, Any]]:
    rows = conn.execute(
        select(try_)
        .where(try_.c.run_id == run_id, try_.c.task_id == task_id)
        .order_by(try_.c.try_id)
    ).all()
    return [r._asdict() for r in rows]


def dependents(conn: Connection, run_id: str, task_id: int, limit: int = 50) -> list[int]:
    """Tasks that list ``task_id`` in their comma-separated ``task_depends`` (at most ``limit``)."""
    n = str(int(task_id))
    col = task.c.task_depends
    listed = or_(
        col == n,
        col.like(f"{n},%"),
        col.like(f"%,{n}"),
        col.like(f"%,{n},%"),
        col.like(f"%, {n}"),
        col.like(f"%, {n},%"),
    )
    rows = conn.execute(
        select(task.c.task_id, col)
        .where(task.c.run_id == run_id, listed)
        .order_by(task.c.task_id)
        .limit(limit)
    ).all()
    return [r.task_id for r in rows if task_id in parse_depends(r.task_depends)]


def resource_series(
    db: Database, conn: Connection, run_id: str, task_id: int
) -> list[dict[str, Any]]:
    """The task's resource samples (all tries) in time order, at most MAX_SAMPLES."""
    rows = conn.execute(
        select(
            resource.c.try_id,
            db.epoch(resource.c.timestamp).label("t"),
            resource.c.timestamp,
            resource.c.psutil_process_cpu_percent.label("cpu"),
            resource.c.psutil_process_memory_resident.label("rss"),
            resource.c.psutil_process_memory_virtual.label("vms"),
            resource.c.psutil_process_time_user.label("user"),
            resource.c.psutil_process_time_system.label("system"),
            resource.c.psutil_process_disk_read.label("read"),
            resource.c.psutil_process_disk_write.label("write"),
            resource.c.hostname,
        )
        .where(resource.c.run_id == run_id, resource.c.task_id == task_id)
        .order_by(resource.c.timestamp)
        .limit(MAX_SAMPLES)
    ).all()
    return [r._asdict() for r in rows]


def locate_output(path: str | None, rundir: str | None) -> str | None:
    """Where a task's stdout/stderr file is: as given, or (a relative path) beside ``runinfo/``.

    A ``file://`` URL (a ``File`` given as the stream) is its path; other URLs
    (streams staged out elsewhere) are not local files. Relative paths are
    relative to the directory the workflow script ran in,
    which is usually the parent of its ``runinfo`` directory (``rundir`` is
    ``.../runinfo/000``); the current directory is tried first.
    """
    if not path:
        return None
    if path.startswith("file://"):  # a File stream (Parsl records its URL)
        path = urllib.parse.urlparse(path).path
    if os.path.isabs(path) or os.path.isfile(path) or not rundir:
        return path
    script_dir = os.path.dirname(os.path.dirname(os.path.abspath(rundir)))
    beside = os.path.join(script_dir, path)
    return beside if os.path.isfile(beside) else path


def file_tail(path: str | None, limit: int = TAIL_BYTES) -> str | None:
    """The last ``limit`` bytes of the file at ``path`` as text, or None if it cannot be read."""
    if not path or not os.path.isfile(path):
        return None
    try:
        with open(path, "rb") as f:
            f.seek(0, os.SEEK_END)
            size = f.tell()
            f.seek(max(0, size - limit))
            data = f.read(limit)
    except OSError:
        return None
    text = data.decode("utf-8", errors="replace")
    return ("…" + text) if size > limit else text


def dag_window(
    conn: Connection, run_id: str, start: int, limit: int = DAG_MAX_TASKS
) -> list[dict[str, Any]]:
    """Tasks with id >= ``start`` (at most ``limit``): id, app, state, depends."""
    rows = conn.execute(
        select(task.c.task_id, task.c.task_func_name, task.c.task_status_name, task.c.task_depends)
        .where(task.c.run_id == run_id, task.c.task_id >= start)
        .order_by(task.c.task_id)
        .limit(limit)
    ).all()
    return [
        {
            "task_id": r.task_id,
            "app": r.task_func_name,
            "state": r.task_status_name,
            "depends": parse_depends(r.task_depends),
        }
        for r in rows
    ]


def task_id_range(conn: Connection, run_id: str) -> tuple[int, int] | None:
    row = conn.execute(
        select(func.min(task.c.task_id), func.max(task.c.task_id)).where(task.c.run_id == run_id)
    ).first()
    if row is None or row[0] is None:
        return None
    return int(row[0]), int(row[1])

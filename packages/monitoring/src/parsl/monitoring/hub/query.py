"""Reading a monitoring database back: the functions tests and the web UI use.

Each call opens the database read-only (so it never creates one, and never
blocks the writer: the database is in WAL mode), reads, and closes it.
Rows come back as plain dicts, ready for JSON; times are Unix timestamps.
"""

from __future__ import annotations

import os
from typing import TypedDict

from parsl.monitoring.hub.schema import open_for_reading


class WorkflowRow(TypedDict):
    """One run of a workflow."""

    run_id: str
    workflow_name: str | None
    workflow_version: str | None
    time_began: float
    time_completed: float | None
    rundir: str | None
    tasks_completed_count: int
    tasks_failed_count: int
    host: str | None
    user: str | None


class TaskRow(TypedDict):
    """One task: its latest state, which is final once ``task_time_returned`` is set."""

    run_id: str
    task_id: int
    task_func_name: str | None
    task_executor: str | None
    task_time_invoked: float | None
    task_time_returned: float | None
    task_status_name: str
    task_fail_reason: str | None
    task_try_count: int
    task_fail_count: int


class StatusRow(TypedDict):
    """One state a task entered, and when."""

    run_id: str
    task_id: int
    try_id: int
    task_status_name: str
    timestamp: float


DbPath = str | os.PathLike[str]


def workflows(db_path: DbPath) -> list[WorkflowRow]:
    """Every workflow run in the database, oldest first."""
    conn = open_for_reading(db_path)
    try:
        rows = conn.execute(
            "SELECT run_id, workflow_name, workflow_version, time_began, time_completed, rundir, "
            "tasks_completed_count, tasks_failed_count, host, user "
            "FROM workflow ORDER BY time_began, run_id"
        ).fetchall()
    finally:
        conn.close()
    return [
        WorkflowRow(
            run_id=r["run_id"],
            workflow_name=r["workflow_name"],
            workflow_version=r["workflow_version"],
            time_began=r["time_began"],
            time_completed=r["time_completed"],
            rundir=r["rundir"],
            tasks_completed_count=r["tasks_completed_count"],
            tasks_failed_count=r["tasks_failed_count"],
            host=r["host"],
            user=r["user"],
        )
        for r in rows
    ]


def tasks(db_path: DbPath, run_id: str) -> list[TaskRow]:
    """The tasks of one run, by task id."""
    conn = open_for_reading(db_path)
    try:
        rows = conn.execute(
            "SELECT run_id, task_id, task_func_name, task_executor, task_time_invoked, "
            "task_time_returned, task_status_name, task_fail_reason, task_try_count, "
            "task_fail_count FROM task WHERE run_id = ? ORDER BY task_id",
            (run_id,),
        ).fetchall()
    finally:
        conn.close()
    return [
        TaskRow(
            run_id=r["run_id"],
            task_id=r["task_id"],
            task_func_name=r["task_func_name"],
            task_executor=r["task_executor"],
            task_time_invoked=r["task_time_invoked"],
            task_time_returned=r["task_time_returned"],
            task_status_name=r["task_status_name"],
            task_fail_reason=r["task_fail_reason"],
            task_try_count=r["task_try_count"],
            task_fail_count=r["task_fail_count"],
        )
        for r in rows
    ]


def task_status_history(db_path: DbPath, run_id: str, task_id: int) -> list[StatusRow]:
    """The states one task went through, in the order they happened."""
    conn = open_for_reading(db_path)
    try:
        rows = conn.execute(
            "SELECT run_id, task_id, try_id, task_status_name, timestamp FROM status "
            "WHERE run_id = ? AND task_id = ? ORDER BY timestamp, seq",
            (run_id, task_id),
        ).fetchall()
    finally:
        conn.close()
    return [
        StatusRow(
            run_id=r["run_id"],
            task_id=r["task_id"],
            try_id=r["try_id"],
            task_status_name=r["task_status_name"],
            timestamp=r["timestamp"],
        )
        for r in rows
    ]

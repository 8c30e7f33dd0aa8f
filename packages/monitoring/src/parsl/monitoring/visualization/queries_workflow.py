"""Queries behind the workflow pages: aggregated in SQL, paged, never a whole table in memory."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Integer, and_, case, cast, func, select
from sqlalchemy.engine import Connection

from parsl.monitoring.db.tables import task, try_, workflow
from parsl.monitoring.visualization.database import Database
from parsl.monitoring.visualization.errors import NotFoundError
from parsl.monitoring.visualization.states import DONE_STATES, FAILED_STATES, state_rank

PAGE_SIZE = 50
"""Rows per page in task and workflow tables."""


def seconds_between(start: dt.datetime | None, end: dt.datetime | None) -> float | None:
    """``end - start`` in seconds, or None when either is unknown."""
    if start is None or end is None:
        return None
    return (end - start).total_seconds()


def workflow_status(row: Any) -> str:
    """``running`` until the workflow's end is recorded, then ``completed`` or ``failed``."""
    if row.time_completed is None:
        return "running"
    return "failed" if (row.tasks_failed_count or 0) > 0 else "completed"


def count_workflows(conn: Connection) -> int:
    return int(conn.execute(select(func.count()).select_from(workflow)).scalar() or 0)


def list_workflows(conn: Connection, page: int) -> list[dict[str, Any]]:
    """One page of workflows, newest first, with their task counts by outcome."""
    rows = conn.execute(
        select(workflow)
        .order_by(workflow.c.time_began.desc(), workflow.c.run_id)
        .limit(PAGE_SIZE)
        .offset(page * PAGE_SIZE)
    ).all()
    ids = [r.run_id for r in rows]
    counts: dict[str, dict[str, int]] = {i: {"total": 0, "done": 0, "failed": 0} for i in ids}
    if ids:
        agg = conn.execute(
            select(
                task.c.run_id,
                func.count(),
                func.sum(case((task.c.task_status_name.in_(DONE_STATES), 1), else_=0)),
                func.sum(case((task.c.task_status_name.in_(FAILED_STATES), 1), else_=0)),
            )
            .where(task.c.run_id.in_(ids))
            .group_by(task.c.run_id)
        )
        for run_id, total, done, failed in agg:
            counts[run_id] = {"total": total, "done": done or 0, "failed": failed or 0}
    now = dt.datetime.now()
    out = []
    for r in rows:
        c = counts[r.run_id]
        out.append(
            {
                **r._asdict(),
                "status": workflow_status(r),
                "runtime": seconds_between(r.time_began, r.time_completed or now),
                "tasks_total": c["total"],
                "tasks_done": c["done"],
                "tasks_failed": c["failed"],
                "tasks_other": c["total"] - c["done"] - c["failed"],
            }
        )
    return out


def get_workflow(conn: Connection, run_id: str) -> dict[str, Any]:
    """The workflow row with ``status`` and ``runtime``; NotFoundError if there is none."""
    row = conn.execute(select(workflow).where(workflow.c.run_id == run_id)).first()
    if row is None:
        raise NotFoundError(f"no workflow with run id {run_id!r} in this database")
    end = row.time_completed or dt.datetime.now()
    return {
        **row._asdict(),
        "status": workflow_status(row),
        "runtime": seconds_between(row.time_began, end),
    }


def state_counts(conn: Connection, run_id: str) -> list[tuple[str, int]]:
    """(state, number of tasks whose latest state it is), in lifecycle order."""
    rows = conn.execute(
        select(task.c.task_status_name, func.count())
        .where(task.c.run_id == run_id)
        .group_by(task.c.task_status_name)
    ).all()
    pairs = [(str(s or "unknown"), int(n)) for s, n in rows]
    return sorted(pairs, key=lambda p: (state_rank(p[0]), p[0]))


def apps_table(db: Database, conn: Connection, run_id: str) -> list[dict[str, Any]]:
    """Per app: tasks, done, failed, in flight, mean and max run time (invoked to returned)."""
    # Each row's duration is computed once (in a subquery), then aggregated.
    per_task = (
        select(
            task.c.task_func_name.label("app"),
            task.c.task_status_name.label("state"),
            task.c.task_fail_count.label("fails"),
            (db.epoch(task.c.task_time_returned) - db.epoch(task.c.task_time_invoked)).label("d"),
        )
        .where(task.c.run_id == run_id)
        .subquery()
    )
    t = per_task.c
    rows = conn.execute(
        select(
            t.app,
            func.count().label("tasks"),
            func.sum(case((t.state.in_(DONE_STATES), 1), else_=0)).label("done"),
            func.sum(case((t.state.in_(FAILED_STATES), 1), else_=0)).label("failed"),
            func.avg(t.d).label("mean_s"),
            func.max(t.d).label("max_s"),
            func.sum(t.fails).label("retries"),
        )
        .group_by(t.app)
        .order_by(t.app)
    ).all()
    return [{**r._asdict(), "in_flight": r.tasks - (r.done or 0) - (r.failed or 0)} for r in rows]


@dataclass(frozen=True)
class TaskFilter:
    """Which tasks a task table shows."""

    state: str | None = None
    app: str | None = None
    environment: str | None = None
    """An ``environment_id``: the tasks that ran there (``task.task_environment``)."""


def _task_where(run_id: str, f: TaskFilter) -> Any:
    conds = [task.c.run_id == run_id]
    if f.state:
        conds.append(task.c.task_status_name == f.state)
    if f.app:
        conds.append(task.c.task_func_name == f.app)
    if f.environment:
        conds.append(task.c.task_environment == f.environment)
    return and_(*conds)


def count_tasks(conn: Connection, run_id: str, f: TaskFilter) -> int:
    q = select(func.count()).select_from(task).where(_task_where(run_id, f))
    return int(conn.execute(q).scalar() or 0)


def list_tasks(conn: Connection, run_id: str, f: TaskFilter, page: int) -> list[dict[str, Any]]:
    """One page of tasks in id order."""
    rows = conn.execute(
        select(
            task.c.task_id,
            task.c.task_func_name,
            task.c.task_status_name,
            task.c.task_executor,
            task.c.task_time_invoked,
            task.c.task_time_returned,
            task.c.task_fail_count,
            task.c.task_depends,
        )
        .where(_task_where(run_id, f))
        .order_by(task.c.task_id)
        .limit(PAGE_SIZE)
        .offset(page * PAGE_SIZE)
    ).all()
    return [
        {**r._asdict(), "runtime": seconds_between(r.task_time_invoked, r.task_time_returned)}
        for r in rows
    ]


def time_span(db: Database, conn: Connection, run_id: str) -> tuple[float, float] | None:
    """(first try launched, last try returned or running) in epoch seconds, or None."""
    t0 = db.epoch(func.min(try_.c.task_try_time_launched))
    end = func.coalesce(try_.c.task_try_time_returned, try_.c.task_try_time_running)
    t1 = db.epoch(func.max(end))
    row = conn.execute(select(t0, t1).where(try_.c.run_id == run_id)).first()
    if row is None or row[0] is None:
        return None
    start = float(row[0])
    stop = float(row[1]) if row[1] is not None else start
    return start, max(stop, start + 1e-3)


_UNSET: Any = object()


def tries_per_app(
    db: Database, conn: Connection, run_id: str, bins: int = 60, span: Any = _UNSET
) -> tuple[tuple[float, float] | None, dict[str, list[int]]]:
    """Tries launched per app in ``bins`` equal time bins over the run: (span, {app: counts})."""
    if span is _UNSET:
        span = time_span(db, conn, run_id)
    if span is None:
        return None, {}
    t0, t1 = span
    width = (t1 - t0) / bins
    launched = db.epoch(try_.c.task_try_time_launched)
    bucket = cast((launched - t0) / width, Integer)
    rows = conn.execute(
        select(task.c.task_func_name, bucket.label("b"), func.count())
        .select_from(
            try_.join(task, and_(task.c.run_id == try_.c.run_id, task.c.task_id == try_.c.task_id))
        )
        .where(try_.c.run_id == run_id, try_.c.task_try_time_launched.is_not(None))
        .group_by(task.c.task_func_name, bucket)
    ).all()
    series: dict[str, list[int]] = {}
    for app, b, n in rows:
        counts = series.setdefault(app, [0] * bins)
        counts[min(max(int(b), 0), bins - 1)] += int(n)
    return span, dict(sorted(series.items()))


GANTT_MAX_BARS = 1500
"""Above this many tries the task stream shows busy time per host and time bin instead."""


def count_tries(conn: Connection, run_id: str) -> int:
    q = select(func.count()).select_from(try_).where(try_.c.run_id == run_id)
    return int(conn.execute(q).scalar() or 0)


def gantt_bars(db: Database, conn: Connection, run_id: str) -> list[dict[str, Any]]:
    """Every try as a bar: worker (hostname/block), app, start, end (epoch s), outcome."""
    start = db.epoch(func.coalesce(try_.c.task_try_time_running, try_.c.task_try_time_launched))
    end = db.epoch(try_.c.task_try_time_returned)
    rows = conn.execute(
        select(
            try_.c.task_id,
            try_.c.try_id,
            try_.c.hostname,
            try_.c.block_id,
            task.c.task_func_name.label("app"),
            start.label("start"),
            end.label("end"),
            try_.c.task_try_fail_reason.label("fail"),
        )
        .select_from(
            try_.join(task, and_(task.c.run_id == try_.c.run_id, task.c.task_id == try_.c.task_id))
        )
        .where(try_.c.run_id == run_id, try_.c.task_try_time_launched.is_not(None))
        .order_by(start)
        .limit(GANTT_MAX_BARS)
    ).all()
    return [r._asdict() for r in rows]


def busy_by_host(
    db: Database, conn: Connection, run_id: str, bins: int = 60, span: Any = _UNSET
) -> tuple[tuple[float, float] | None, dict[str, list[float]]]:
    """Worker-seconds of tries started per host and time bin (the task stream of a big run)."""
    if span is _UNSET:
        span = time_span(db, conn, run_id)
    if span is None:
        return None, {}
    t0, t1 = span
    width = (t1 - t0) / bins
    start = db.epoch(func.coalesce(try_.c.task_try_time_running, try_.c.task_try_time_launched))
    busy = db.epoch(try_.c.task_try_time_returned) - start
    bucket = cast((start - t0) / width, Integer)
    host = func.coalesce(try_.c.hostname, "unknown")
    rows = conn.execute(
        select(host, bucket, func.sum(busy))
        .where(try_.c.run_id == run_id, try_.c.task_try_time_launched.is_not(None))
        .group_by(host, bucket)
    ).all()
    out: dict[str, list[float]] = {}
    for h, b, s in rows:
        cells = out.setdefault(str(h), [0.0] * bins)
        cells[min(max(int(b), 0), bins - 1)] += float(s or 0.0)
    return span, dict(sorted(out.items()))

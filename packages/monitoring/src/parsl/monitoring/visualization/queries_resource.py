"""Queries behind the resource pages: per-app distributions, memory outliers, workers, nodes, blocks."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Integer, and_, cast, func, select
from sqlalchemy.engine import Connection

from parsl.monitoring.db.tables import block, node, resource, task, try_
from parsl.monitoring.visualization.database import Database
from parsl.monitoring.visualization.queries_workflow import PAGE_SIZE

HIST_BINS = 20
MAX_BLOCKS = 200
MAX_NODES = 200


def _per_try(run_id: str) -> Any:
    """Subquery: one row per sampled try, its peak RSS and mean CPU percent, with its app."""
    return (
        select(
            resource.c.task_id,
            resource.c.try_id,
            func.max(resource.c.psutil_process_memory_resident).label("rss"),
            func.avg(resource.c.psutil_process_cpu_percent).label("cpu"),
        )
        .where(resource.c.run_id == run_id)
        .group_by(resource.c.task_id, resource.c.try_id)
        .subquery()
    )


def _with_app(per_try: Any, run_id: str) -> Any:
    return per_try.join(task, and_(task.c.run_id == run_id, task.c.task_id == per_try.c.task_id))


def distributions(conn: Connection, run_id: str) -> list[dict[str, Any]]:
    """Per app: tries sampled, min/mean/max of peak RSS and of mean CPU percent, and histograms.

    Each histogram has HIST_BINS bins from 0 to the run's maximum (``rss_max_all``,
    ``cpu_max_all`` on every row), counted in SQL.
    """
    pt = _per_try(run_id)
    joined = _with_app(pt, run_id)
    app = task.c.task_func_name
    rows = conn.execute(
        select(
            app.label("app"),
            func.count().label("tries"),
            func.min(pt.c.rss).label("rss_min"),
            func.avg(pt.c.rss).label("rss_mean"),
            func.max(pt.c.rss).label("rss_max"),
            func.min(pt.c.cpu).label("cpu_min"),
            func.avg(pt.c.cpu).label("cpu_mean"),
            func.max(pt.c.cpu).label("cpu_max"),
        )
        .select_from(joined)
        .group_by(app)
        .order_by(app)
    ).all()
    if not rows:
        return []
    rss_all = max(float(r.rss_max or 0.0) for r in rows) or 1.0
    cpu_all = max(float(r.cpu_max or 0.0) for r in rows) or 1.0
    hists: dict[tuple[str, str], list[int]] = {}
    for key, col, top in (("rss", pt.c.rss, rss_all), ("cpu", pt.c.cpu, cpu_all)):
        b = cast(func.coalesce(col, 0) * (HIST_BINS / top), Integer)
        for a, bin_, n in conn.execute(
            select(app, b, func.count()).select_from(joined).group_by(app, b)
        ):
            h = hists.setdefault((a, key), [0] * HIST_BINS)
            h[min(max(int(bin_), 0), HIST_BINS - 1)] += int(n)
    return [
        {
            **r._asdict(),
            "rss_hist": hists.get((r.app, "rss"), [0] * HIST_BINS),
            "cpu_hist": hists.get((r.app, "cpu"), [0] * HIST_BINS),
            "rss_max_all": rss_all,
            "cpu_max_all": cpu_all,
        }
        for r in rows
    ]


def over_memory(
    conn: Connection, run_id: str, threshold_bytes: float, page: int
) -> tuple[int, list[dict[str, Any]]]:
    """Tasks whose peak RSS (any try) exceeded ``threshold_bytes``: (how many, one page, largest first)."""
    peak = func.max(resource.c.psutil_process_memory_resident)
    per_task = (
        select(resource.c.task_id, peak.label("rss"))
        .where(resource.c.run_id == run_id)
        .group_by(resource.c.task_id)
        .having(peak > threshold_bytes)
        .subquery()
    )
    total = int(conn.execute(select(func.count()).select_from(per_task)).scalar() or 0)
    rows = conn.execute(
        select(per_task.c.task_id, per_task.c.rss, task.c.task_func_name, task.c.task_status_name)
        .select_from(
            per_task.join(task, and_(task.c.run_id == run_id, task.c.task_id == per_task.c.task_id))
        )
        .order_by(per_task.c.rss.desc(), per_task.c.task_id)
        .limit(PAGE_SIZE)
        .offset(page * PAGE_SIZE)
    ).all()
    return total, [r._asdict() for r in rows]


def worker_efficiency(db: Database, conn: Connection, run_id: str) -> list[dict[str, Any]]:
    """Per host: worker-seconds busy running tries against worker-seconds its nodes offered."""
    start = db.epoch(func.coalesce(try_.c.task_try_time_running, try_.c.task_try_time_launched))
    busy = func.sum(db.epoch(try_.c.task_try_time_returned) - start)
    busy_rows = conn.execute(
        select(try_.c.hostname, busy, func.count())
        .where(try_.c.run_id == run_id, try_.c.hostname.is_not(None))
        .group_by(try_.c.hostname)
    ).all()
    # One node row per manager (uid): its workers times how long it was up.
    per_manager = (
        select(
            node.c.hostname,
            node.c.uid,
            func.max(node.c.worker_count).label("workers"),
            (
                db.epoch(func.max(node.c.last_heartbeat)) - db.epoch(func.min(node.c.timestamp))
            ).label("up"),
        )
        .where(node.c.run_id == run_id)
        .group_by(node.c.hostname, node.c.uid)
        .subquery()
    )
    avail_rows = conn.execute(
        select(
            per_manager.c.hostname,
            func.sum(per_manager.c.workers * per_manager.c.up),
            func.sum(per_manager.c.workers),
        ).group_by(per_manager.c.hostname)
    ).all()
    avail = {h: (float(a or 0.0), int(w or 0)) for h, a, w in avail_rows}
    out = []
    for host in sorted({r[0] for r in busy_rows} | set(avail)):
        b = next((r for r in busy_rows if r[0] == host), None)
        busy_s = float(b[1] or 0.0) if b else 0.0
        available_s, workers = avail.get(host, (0.0, 0))
        out.append(
            {
                "hostname": host,
                "tries": int(b[2]) if b else 0,
                "workers": workers,
                "busy_s": busy_s,
                "available_s": available_s,
                "efficiency": (busy_s / available_s) if available_s > 0 else None,
            }
        )
    return out


def nodes(conn: Connection, run_id: str) -> list[dict[str, Any]]:
    """The latest row of each manager (node), at most MAX_NODES."""
    latest = (
        select(func.max(node.c.id).label("id"))
        .where(node.c.run_id == run_id)
        .group_by(node.c.uid)
        .subquery()
    )
    rows = conn.execute(
        select(node)
        .where(node.c.id.in_(select(latest.c.id)))
        .order_by(node.c.timestamp)
        .limit(MAX_NODES)
    ).all()
    return [r._asdict() for r in rows]


def block_history(db: Database, conn: Connection, run_id: str) -> dict[tuple[str, str], list[Any]]:
    """Per (executor, block id): its status changes [(epoch s, status, job id)] in time order."""
    rows = conn.execute(
        select(
            block.c.executor_label,
            block.c.block_id,
            db.epoch(block.c.timestamp).label("ts"),
            block.c.status,
            block.c.job_id,
        )
        .where(block.c.run_id == run_id)
        .order_by(block.c.executor_label, block.c.block_id, block.c.timestamp)
        .limit(MAX_BLOCKS * 20)
    ).all()
    out: dict[tuple[str, str], list[Any]] = {}
    for r in rows:
        key = (r.executor_label, r.block_id)
        if key not in out and len(out) >= MAX_BLOCKS:
            continue
        out.setdefault(key, []).append((float(r.ts), r.status, r.job_id))
    return out

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


class _Stat:
    """min / mean / max of the values folded in (None values skipped)."""

    def __init__(self) -> None:
        self.lo: float | None = None
        self.hi: float | None = None
        self.total = 0.0
        self.n = 0

    def add(self, lo: float | None, hi: float | None, total: float | None, n: int) -> None:
        if n == 0 or lo is None or hi is None:
            return
        self.lo = lo if self.lo is None else min(self.lo, lo)
        self.hi = hi if self.hi is None else max(self.hi, hi)
        self.total += float(total or 0.0)
        self.n += n

    @property
    def mean(self) -> float | None:
        return self.total / self.n if self.n else None


def distributions(conn: Connection, run_id: str) -> list[dict[str, Any]]:
    """Per app: tries sampled, min/mean/max of peak RSS and of mean CPU percent, and histograms.

    Two statements: the run's largest sample (the histograms' range, 0 to
    ``rss_max_all`` / ``cpu_max_all``), then one pass over the tries grouped
    by app and (RSS bin, CPU bin), from which the statistics are folded.
    """
    rss_col = resource.c.psutil_process_memory_resident
    cpu_col = resource.c.psutil_process_cpu_percent
    top = conn.execute(
        select(func.max(rss_col), func.max(cpu_col)).where(resource.c.run_id == run_id)
    ).first()
    if top is None or (top[0] is None and top[1] is None):
        return []
    rss_all = float(top[0] or 0.0) or 1.0
    cpu_all = float(top[1] or 0.0) or 1.0
    pt = _per_try(run_id)
    app = task.c.task_func_name
    rss_bin = cast(func.coalesce(pt.c.rss, 0) * (HIST_BINS / rss_all), Integer)
    cpu_bin = cast(func.coalesce(pt.c.cpu, 0) * (HIST_BINS / cpu_all), Integer)
    rows = conn.execute(
        select(
            app,
            rss_bin,
            cpu_bin,
            func.count(),
            func.min(pt.c.rss),
            func.max(pt.c.rss),
            func.sum(pt.c.rss),
            func.count(pt.c.rss),
            func.min(pt.c.cpu),
            func.max(pt.c.cpu),
            func.sum(pt.c.cpu),
            func.count(pt.c.cpu),
        )
        .select_from(_with_app(pt, run_id))
        .group_by(app, rss_bin, cpu_bin)
    ).all()
    per_app: dict[str, dict[str, Any]] = {}
    for a, rb, cb, n, r_lo, r_hi, r_sum, r_n, c_lo, c_hi, c_sum, c_n in rows:
        d = per_app.setdefault(
            a,
            {
                "tries": 0,
                "rss": _Stat(),
                "cpu": _Stat(),
                "rss_hist": [0] * HIST_BINS,
                "cpu_hist": [0] * HIST_BINS,
            },
        )
        d["tries"] += int(n)
        d["rss"].add(r_lo, r_hi, r_sum, int(r_n))
        d["cpu"].add(c_lo, c_hi, c_sum, int(c_n))
        if r_n:
            d["rss_hist"][min(max(int(rb), 0), HIST_BINS - 1)] += int(r_n)
        if c_n:
            d["cpu_hist"][min(max(int(cb), 0), HIST_BINS - 1)] += int(c_n)
    out = []
    for a in sorted(per_app):
        d = per_app[a]
        rss, cpu = d["rss"], d["cpu"]
        out.append(
            {
                "app": a,
                "tries": d["tries"],
                "rss_min": rss.lo,
                "rss_mean": rss.mean,
                "rss_max": rss.hi,
                "cpu_min": cpu.lo,
                "cpu_mean": cpu.mean,
                "cpu_max": cpu.hi,
                "rss_hist": d["rss_hist"],
                "cpu_hist": d["cpu_hist"],
                "rss_max_all": rss_all,
                "cpu_max_all": cpu_all,
            }
        )
    return out


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
    joined = per_task.join(
        task, and_(task.c.run_id == run_id, task.c.task_id == per_task.c.task_id)
    )
    rows = conn.execute(
        select(
            per_task.c.task_id,
            per_task.c.rss,
            task.c.task_func_name,
            task.c.task_status_name,
            func.count().over().label("total"),  # one pass: the page and how many in all
        )
        .select_from(joined)
        .order_by(per_task.c.rss.desc(), per_task.c.task_id)
        .limit(PAGE_SIZE)
        .offset(page * PAGE_SIZE)
    ).all()
    if rows:
        total = int(rows[0].total)
    elif page == 0:
        total = 0
    else:  # a page past the end: count separately
        total = int(conn.execute(select(func.count()).select_from(joined)).scalar() or 0)
    return total, [{k: v for k, v in r._asdict().items() if k != "total"} for r in rows]


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


def node_spans(db: Database, conn: Connection, run_id: str) -> list[dict[str, Any]]:
    """Per manager (node): host, block, workers, first seen and last heartbeat (epoch s)."""
    rows = conn.execute(
        select(
            node.c.hostname,
            node.c.uid,
            func.max(node.c.block_id).label("block_id"),
            func.max(node.c.worker_count).label("workers"),
            db.epoch(func.min(node.c.timestamp)).label("start"),
            db.epoch(func.max(node.c.last_heartbeat)).label("end"),
        )
        .where(node.c.run_id == run_id)
        .group_by(node.c.hostname, node.c.uid)
        .order_by(func.min(node.c.timestamp), node.c.hostname)
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

"""Pages about one task, and about a workflow's resources (memory, CPU, workers, nodes, blocks)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.engine import Connection

from parsl.monitoring.visualization import queries_files as qf
from parsl.monitoring.visualization import queries_resource as qr
from parsl.monitoring.visualization import queries_task as qt
from parsl.monitoring.visualization import queries_workflow as qw
from parsl.monitoring.visualization import svg
from parsl.monitoring.visualization.errors import BadRequestError
from parsl.monitoring.visualization.render import SITE_NAV, Page, Section
from parsl.monitoring.visualization.states import FINAL_STATES
from parsl.monitoring.visualization.views_common import (
    Params,
    ViewContext,
    db_now,
    int_param,
    pager,
    workflow_nav,
    workflow_tabs,
)
from parsl.monitoring.visualization.views_files import task_files_section

TRY_COLOURS = ("#1e88e5", "#e53935", "#43a047", "#fb8c00", "#8e24aa", "#00897b")

DEFAULT_MEMORY_MB = 100.0
"""The memory threshold of the resource page when none is given."""


def _by_try(
    samples: list[dict[str, Any]], key: str, scale: float = 1.0
) -> dict[str, list[tuple[float, float]]]:
    out: dict[str, list[tuple[float, float]]] = {}
    for s in samples:
        if s[key] is not None and s["t"] is not None:
            out.setdefault(f"try {s['try_id']}", []).append((float(s["t"]), float(s[key]) * scale))
    return out


def _colours(series: dict[str, list[tuple[float, float]]]) -> dict[str, str]:
    return {name: TRY_COLOURS[i % len(TRY_COLOURS)] for i, name in enumerate(series)}


def task_sections(
    ctx: ViewContext, conn: Connection, run_id: str, task_id: int, prefix: str = ""
) -> tuple[dict[str, Any], list[Section]]:
    """The task's row and its page sections (keys prefixed with ``prefix``, for the report)."""
    t = qt.get_task(conn, run_id, task_id)
    rundir = qw.get_workflow(conn, run_id)["rundir"]
    t["dependents"] = qt.dependents(conn, run_id, task_id)
    t["environment"] = qf.find_environment(conn, t["task_environment"])
    samples = qt.resource_series(ctx.db, conn, run_id, task_id)
    cpu = _by_try(samples, "cpu")
    rss = _by_try(samples, "rss")
    files = [
        (name, t[f"task_{name}"], qt.file_tail(qt.locate_output(t[f"task_{name}"], rundir)))
        for name in ("stdout", "stderr")
    ]
    r = ctx.renderer
    p = prefix
    sections = [
        Section(f"{p}facts", "Task", r.macro("task_facts", t, ctx.links, run_id), live=True),
        Section(
            f"{p}history",
            "State history",
            r.macro("status_table", qt.status_history(conn, run_id, task_id)),
            live=True,
        ),
        Section(
            f"{p}tries", "Tries", r.macro("tries_table", qt.tries(conn, run_id, task_id)), live=True
        ),
        Section(
            f"{p}cpu",
            "CPU over time (percent)",
            svg.line_chart(cpu, _colours(cpu), lambda v: f"{v:.0f}%", "CPU percent"),
            live=True,
        ),
        Section(
            f"{p}memory",
            "Memory over time (resident set size)",
            svg.line_chart(rss, _colours(rss), svg.fmt_bytes, "resident memory"),
            live=True,
        ),
        Section(
            f"{p}output", "Standard output and error", r.macro("output_files", files), live=True
        ),
    ]
    provenance = task_files_section(ctx, conn, run_id, task_id, f"{p}files")
    if provenance is not None:
        sections.insert(1, provenance)
    return t, sections


def task_page(
    ctx: ViewContext, conn: Connection, run_id: str, task_id: int, params: Params
) -> Page:
    wf = qw.get_workflow(conn, run_id)
    t, sections = task_sections(ctx, conn, run_id, task_id)
    live = wf["status"] == "running" and t["task_status_name"] not in FINAL_STATES
    return Page(
        f"Task {task_id} ({t['task_func_name']}) of {run_id}",
        [workflow_tabs(ctx, conn, run_id), *sections],
        nav=workflow_nav(ctx, run_id),
        live=live,
    )


def memory_threshold(params: Params) -> float:
    raw = params.get("memory_mb", "")
    if raw == "":
        return DEFAULT_MEMORY_MB
    try:
        value = float(raw)
    except ValueError:
        raise BadRequestError(f"memory_mb={raw!r} is not a number of MiB") from None
    if not value >= 0:
        raise BadRequestError(f"memory_mb={raw!r} must be zero or more")
    return value


def resource_sections(
    ctx: ViewContext, conn: Connection, run_id: str, params: Params, in_report: bool = False
) -> list[Section]:
    """Distributions per app, tasks over the memory threshold, worker efficiency, nodes, blocks."""
    r = ctx.renderer
    dists = qr.distributions(conn, run_id)
    for d in dists:
        d["rss_svg"] = r.safe(
            svg.histogram(d["rss_hist"], "#1e88e5", d["rss_max_all"], svg.fmt_bytes)
        )
        d["cpu_svg"] = r.safe(
            svg.histogram(d["cpu_hist"], "#43a047", d["cpu_max_all"], lambda v: f"{v:.0f}%")
        )
    mb = memory_threshold(params)
    page = int_param(params, "page", 0)
    total, over = qr.over_memory(conn, run_id, mb * 1024 * 1024, page)
    over_html = r.macro("memory_table", total, over, f"{mb:g}", ctx.links, run_id) + r.macro(
        "pager",
        []
        if in_report
        else pager(page, total, lambda p: ctx.links.resources(run_id, memory_mb=f"{mb:g}", page=p)),
    )
    blocks = qr.block_history(ctx.db, conn, run_id)
    running = qw.get_workflow(conn, run_id)["status"] == "running"
    form = (
        []
        if in_report
        else [
            Section(
                "memory-form",
                "Tasks over a memory threshold",
                r.macro("memory_form", f"{mb:g}", ctx.links.resources(run_id)),
            )
        ]
    )
    return [
        Section(
            "distributions",
            "CPU and memory per app (one value per try)",
            r.macro("dist_table", dists),
            live=True,
        ),
        *form,
        Section(
            "over-memory", None if form else "Tasks over a memory threshold", over_html, live=True
        ),
        Section(
            "efficiency",
            "Worker efficiency (busy vs available worker-time)",
            r.macro("efficiency_table", qr.worker_efficiency(ctx.db, conn, run_id)),
            live=True,
        ),
        Section(
            "nodes",
            "Nodes over time",
            svg.node_timeline(qr.node_spans(ctx.db, conn, run_id))
            + r.macro("nodes_table", qr.nodes(conn, run_id)),
            live=True,
        ),
        Section(
            "blocks",
            "Blocks over time",
            svg.block_timeline(blocks, db_now() if running else None),
            live=True,
        ),
    ]


def resources_page(ctx: ViewContext, conn: Connection, run_id: str, params: Params) -> Page:
    wf = qw.get_workflow(conn, run_id)
    sections = resource_sections(ctx, conn, run_id, params)
    return Page(
        f"Resources of {run_id}",
        [workflow_tabs(ctx, conn, run_id), *sections],
        nav=SITE_NAV,
        live=wf["status"] == "running",
    )

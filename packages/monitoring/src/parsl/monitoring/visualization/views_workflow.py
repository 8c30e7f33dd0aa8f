"""Pages about workflows: the list, one workflow's overview, its task table and its DAG."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Connection

from parsl.monitoring.db.tables import task
from parsl.monitoring.visualization import dag, svg
from parsl.monitoring.visualization import queries_files as qf
from parsl.monitoring.visualization import queries_task as qt
from parsl.monitoring.visualization import queries_workflow as qw
from parsl.monitoring.visualization.errors import BadRequestError
from parsl.monitoring.visualization.render import SITE_NAV, Page, Section
from parsl.monitoring.visualization.states import STATE_ORDER, app_colours, state_colour
from parsl.monitoring.visualization.views_common import (
    Params,
    ViewContext,
    db_now,
    int_param,
    pager,
    workflow_tabs,
)
from parsl.monitoring.visualization.views_files import overview_sections


def workflows_page(ctx: ViewContext, conn: Connection, params: Params) -> Page:
    page = int_param(params, "page", 0)
    total = qw.count_workflows(conn)
    rows = qw.list_workflows(conn, page)
    html = ctx.renderer.macro("workflows_table", rows, ctx.links) + ctx.renderer.macro(
        "pager", pager(page, total, ctx.links.workflows)
    )
    live = any(r["status"] == "running" for r in rows)
    sections = [Section("workflows", None, html, live=True)]
    return Page("Workflows", sections, nav=SITE_NAV, live=live)


def _task_stream(ctx: ViewContext, conn: Connection, wf: dict[str, Any], span: Any) -> str:
    run_id = wf["run_id"]
    if qw.count_tries(conn, run_id) <= qw.GANTT_MAX_BARS:
        bars = qw.gantt_bars(ctx.db, conn, run_id)
        colours = app_colours([str(b["app"]) for b in bars])
        # Tries with no end yet run until now, or until the workflow's recorded end.
        end = wf["time_completed"]
        now = db_now() if end is None else (end - dt.datetime(1970, 1, 1)).total_seconds()
        return svg.gantt(bars, colours, now, lambda tid: ctx.links.task(run_id, tid))
    span, rows = qw.busy_by_host(ctx.db, conn, run_id, span=span)
    note = (
        f'<p class="muted">More than {qw.GANTT_MAX_BARS} tries: busy worker-time per host '
        "and time bin (tries counted in the bin they started in).</p>"
    )
    return note + svg.heatmap(span, rows)


def workflow_page(ctx: ViewContext, conn: Connection, run_id: str, params: Params) -> Page:
    wf = qw.get_workflow(conn, run_id)
    counts = qw.state_counts(conn, run_id)
    total = sum(n for _, n in counts)
    apps = qw.apps_table(ctx.db, conn, run_id)
    colours = app_colours([a["app"] for a in apps])
    span = qw.time_span(ctx.db, conn, run_id)
    span, series = qw.tries_per_app(ctx.db, conn, run_id, span=span)
    r = ctx.renderer
    sections = [
        workflow_tabs(ctx, conn, run_id),
        Section("summary", "Summary", r.macro("summary", wf, total), live=True),
        Section("progress", "Progress by state", svg.progress_bar(counts), live=True),
        Section("apps", "Apps", r.macro("apps_table", apps, ctx.links, run_id), live=True),
        Section(
            "tries-per-app",
            "Tries launched per app over time",
            svg.stacked_columns(span, series, colours),
            live=True,
        ),
        Section("stream", "Task stream per worker", _task_stream(ctx, conn, wf, span), live=True),
        *overview_sections(ctx, conn, run_id),
    ]
    title = f"Workflow {wf['workflow_name'] or ''} {run_id}".replace("  ", " ")
    return Page(title, sections, nav=SITE_NAV, live=wf["status"] == "running")


def tasks_page(ctx: ViewContext, conn: Connection, run_id: str, params: Params) -> Page:
    wf = qw.get_workflow(conn, run_id)
    f = qw.TaskFilter(
        state=params.get("state") or None,
        app=params.get("app") or None,
        environment=params.get("environment") or None,
    )
    page = int_param(params, "page", 0)
    total = qw.count_tasks(conn, run_id, f)
    rows = qw.list_tasks(conn, run_id, f, page)
    apps = [
        a
        for (a,) in conn.execute(
            select(task.c.task_func_name).where(task.c.run_id == run_id).distinct()
        )
    ]
    r = ctx.renderer
    hidden = [("environment", f.environment)] if f.environment else []
    form = r.macro(
        "filter_form",
        ctx.links.tasks(run_id),
        list(STATE_ORDER),
        sorted(apps),
        f.state,
        f.app,
        hidden,
    )
    table = r.macro("tasks_table", rows, ctx.links, run_id) + r.macro(
        "pager",
        pager(
            page,
            total,
            lambda p: ctx.links.tasks(
                run_id, state=f.state, app=f.app, environment=f.environment, page=p
            ),
        ),
    )
    heading = f"Tasks ({total})"
    if f.environment:
        env = qf.find_environment(conn, f.environment)
        where = env["label"] if env is not None else f.environment
        heading = f"Tasks ({total}) that ran in environment {where}"
    sections = [
        workflow_tabs(ctx, conn, run_id),
        Section("filter", None, form),
        Section("tasks", heading, table, live=True),
    ]
    return Page(f"Tasks of {run_id}", sections, nav=SITE_NAV, live=wf["status"] == "running")


def dag_section(ctx: ViewContext, conn: Connection, run_id: str, start: int, by: str) -> str:
    tasks = qt.dag_window(conn, run_id, start)
    if by == "state":

        def colour(t: dict[str, object]) -> str:
            return state_colour(str(t["state"]))

        keys = sorted({str(t["state"]) for t in tasks})
        items = [(k, state_colour(k)) for k in keys]
    else:
        apps = app_colours([str(t["app"]) for t in tasks])

        def colour(t: dict[str, object]) -> str:
            return apps[str(t["app"])]

        items = list(apps.items())
    return dag.render(tasks, colour, lambda tid: ctx.links.task(run_id, tid)) + svg.legend(items)


def dag_page(ctx: ViewContext, conn: Connection, run_id: str, params: Params) -> Page:
    wf = qw.get_workflow(conn, run_id)
    by = params.get("color", "app")
    if by not in ("app", "state"):
        raise BadRequestError(f"color={by!r}: colour the DAG by 'app' or 'state'")
    span = qt.task_id_range(conn, run_id)
    first = span[0] if span else 0
    start = int_param(params, "start", first, minimum=-(2**62))
    r = ctx.renderer
    switch = r.macro(
        "colour_switch",
        [
            ("app", ctx.links.dag(run_id, start=start, color="app")),
            ("state", ctx.links.dag(run_id, start=start, color="state")),
        ],
    )
    window = qt.DAG_MAX_TASKS
    nav: list[tuple[str, str | None]] = []
    if span and span[1] - span[0] + 1 > window:
        nav = [
            (
                "« earlier tasks",
                ctx.links.dag(run_id, start=start - window, color=by) if start > span[0] else None,
            ),
            (f"tasks {start}-{start + window - 1} of {span[0]}-{span[1]}", None),
            (
                "later tasks »",
                ctx.links.dag(run_id, start=start + window, color=by)
                if start + window <= span[1]
                else None,
            ),
        ]
    body = (
        r.macro("pager", nav)
        + '<div class="dagbox">'
        + dag_section(ctx, conn, run_id, start, by)
        + "</div>"
    )
    sections = [
        workflow_tabs(ctx, conn, run_id),
        Section("colour", None, switch),
        Section("dag", "Task dependency graph", body, live=True),
    ]
    return Page(f"DAG of {run_id}", sections, nav=SITE_NAV, live=wf["status"] == "running")

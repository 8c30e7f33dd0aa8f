"""``parsl-visualize report``: one workflow's views as a single self-contained HTML file.

The file holds everything inline (CSS, SVG charts, no scripts needed), so
it opens offline and can be mailed or attached to an issue. It reuses the
web pages' renderers: summary, progress, apps, tries per app, the task
stream, the first window of the DAG, the resource views, the first page of
tasks, the first page of the files the tasks read and wrote (with file
provenance), and the full detail of the failed tasks (up to
``MAX_TASK_DETAILS``).
"""

from __future__ import annotations

import os
from pathlib import Path

from sqlalchemy import select

from parsl.monitoring.db.tables import task
from parsl.monitoring.visualization import queries_files as qf
from parsl.monitoring.visualization import queries_task as qt
from parsl.monitoring.visualization import queries_workflow as qw
from parsl.monitoring.visualization.database import Database
from parsl.monitoring.visualization.errors import VisualizationError
from parsl.monitoring.visualization.render import Page, Renderer, ReportLinks, Section
from parsl.monitoring.visualization.states import FAILED_STATES
from parsl.monitoring.visualization.views_common import ViewContext
from parsl.monitoring.visualization.views_detail import resource_sections, task_sections
from parsl.monitoring.visualization.views_files import run_files_table
from parsl.monitoring.visualization.views_workflow import dag_section, workflow_page

MAX_TASK_DETAILS = 25
"""Failed tasks whose full detail (history, tries, output tails, charts) the report carries."""


def build_report(db: Database, run_id: str) -> str:
    """The report's HTML. Raises NotFoundError if the database has no workflow ``run_id``."""
    renderer = Renderer()
    with db.engine.connect() as conn:
        failed = [
            tid
            for (tid,) in conn.execute(
                select(task.c.task_id)
                .where(task.c.run_id == run_id, task.c.task_status_name.in_(FAILED_STATES))
                .order_by(task.c.task_id)
                .limit(MAX_TASK_DETAILS)
            )
        ]
        ctx = ViewContext(db=db, renderer=renderer, links=ReportLinks(set(failed)))
        overview = workflow_page(ctx, conn, run_id, {})
        sections = [s for s in overview.sections if s.key != "tabs"]
        for s in sections:
            s.live = False
        span = qt.task_id_range(conn, run_id)
        start = span[0] if span else 0
        dag_note = ""
        if span and span[1] - span[0] + 1 > qt.DAG_MAX_TASKS:
            dag_note = (
                f'<p class="muted">The first {qt.DAG_MAX_TASKS} tasks of {span[1] - span[0] + 1}; '
                "the web view pages through the rest.</p>"
            )
        sections.append(
            Section(
                "dag",
                "Task dependency graph (coloured by state)",
                dag_note
                + '<div class="dagbox">'
                + dag_section(ctx, conn, run_id, start, "state")
                + "</div>",
            )
        )
        total = qw.count_tasks(conn, run_id, qw.TaskFilter())
        rows = qw.list_tasks(conn, run_id, qw.TaskFilter(), 0)
        note = (
            f'<p class="muted">The first {len(rows)} of {total} tasks.</p>'
            if total > len(rows)
            else ""
        )
        sections.append(
            Section(
                "tasks",
                f"Tasks ({total})",
                note + renderer.macro("tasks_table", rows, ctx.links, run_id),
            )
        )
        has_files = qf.run_has_files(conn, run_id)
        if has_files:
            uses, table = run_files_table(ctx, conn, run_id, None, 0)
            shown = min(uses, qw.PAGE_SIZE)
            note = (
                f'<p class="muted">The first {shown} of {uses} reads and writes; the web view '
                "pages through the rest and searches file names.</p>"
                if uses > shown
                else ""
            )
            sections.append(Section("files", f"Files read and written ({uses})", note + table))
        sections += resource_sections(ctx, conn, run_id, {}, in_report=True)
        for tid in failed:
            _, detail = task_sections(ctx, conn, run_id, tid, prefix=f"task-{tid}-")
            detail[0].heading = f"Failed task {tid}"
            sections += detail
    for s in sections:
        s.live = False
    nav = [
        ("Summary", "#summary"),
        ("Apps", "#apps"),
        ("Task stream", "#stream"),
        ("DAG", "#dag"),
        ("Tasks", "#tasks"),
        *([("Files", "#files")] if has_files else []),
        ("Resources", "#distributions"),
        ("Blocks", "#blocks"),
    ]
    if failed:
        nav.append(("Failed tasks", f"#task-{failed[0]}-facts"))
    page = Page(f"Report: {overview.title}", sections, nav=nav, live=False)
    return renderer.page(page, db.url, poll_url=None)


def write_report(db: Database, run_id: str, output: str | os.PathLike[str]) -> Path:
    """Write the report for ``run_id`` to ``output``; returns the path written."""
    html = build_report(db, run_id)
    path = Path(output)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(html, encoding="utf-8")
    except OSError as e:
        raise VisualizationError(f"cannot write the report to {path}: {e.strerror or e}") from None
    return path


__all__ = ["MAX_TASK_DETAILS", "build_report", "write_report"]

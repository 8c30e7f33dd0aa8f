"""Pages about files and environments (file provenance), and their parts of other pages.

A workflow's overview gets its file counts, its environments and its notes
(``misc_info``); ``/workflow/RUN_ID/files`` lists every read and write;
``/files?q=`` searches file names over all workflows; ``/file/FILE_ID`` and
``/environment/ENV_ID`` show one file or one executor's environment.
"""

from __future__ import annotations

from sqlalchemy.engine import Connection

from parsl.monitoring.visualization import queries_files as qf
from parsl.monitoring.visualization import queries_workflow as qw
from parsl.monitoring.visualization.errors import BadRequestError, NotFoundError
from parsl.monitoring.visualization.render import SITE_NAV, Page, Section
from parsl.monitoring.visualization.views_common import (
    Params,
    ViewContext,
    int_param,
    pager,
    workflow_nav,
    workflow_tabs,
)

MAX_PATTERN = 1000
"""The longest file name pattern the search accepts."""


def _running(conn: Connection, run_id: str) -> bool:
    """Whether ``run_id`` is still running (False for a run the database has no row for)."""
    try:
        return bool(qw.get_workflow(conn, run_id)["status"] == "running")
    except NotFoundError:
        return False


def overview_sections(ctx: ViewContext, conn: Connection, run_id: str) -> list[Section]:
    """A workflow overview's file counts, environments and notes (each only if it has any)."""
    r = ctx.renderer
    links = ctx.links
    sections = []
    if qf.run_has_files(conn, run_id):
        html = r.macro(
            "file_summary",
            qf.file_summary(conn, run_id),
            links.run_files(run_id),
            links.run_files(run_id, direction="input"),
            links.run_files(run_id, direction="output"),
        )
        sections.append(Section("file-summary", "Files", html, live=True))
    envs = qf.run_environments(conn, run_id)
    if envs:
        html = r.macro("environments_table", envs, links)
        sections.append(Section("environments", "Environments (executors)", html, live=True))
    total, notes = qf.notes(conn, run_id)
    if total:
        html = r.macro("notes_table", total, notes)
        sections.append(Section("notes", "Notes (log_info)", html, live=True))
    return sections


def run_files_table(
    ctx: ViewContext, conn: Connection, run_id: str, direction: str | None, page: int
) -> tuple[int, str]:
    """(how many reads/writes, the HTML of one page of them)."""
    total = qf.count_run_file_uses(conn, run_id, direction)
    rows = qf.run_file_uses(conn, run_id, direction, page)
    return total, ctx.renderer.macro("run_files_table", rows, ctx.links, run_id)


def run_files_page(ctx: ViewContext, conn: Connection, run_id: str, params: Params) -> Page:
    running = qw.get_workflow(conn, run_id)["status"] == "running"
    direction = params.get("direction") or None
    qf.check_direction(direction)
    page = int_param(params, "page", 0)
    total, table = run_files_table(ctx, conn, run_id, direction, page)
    r = ctx.renderer
    links = ctx.links
    switch = r.macro(
        "direction_switch",
        [
            ("all", links.run_files(run_id) if direction else None),
            (
                "inputs",
                links.run_files(run_id, direction="input") if direction != "input" else None,
            ),
            (
                "outputs",
                links.run_files(run_id, direction="output") if direction != "output" else None,
            ),
        ],
    )
    shown = {None: "Files read and written", "input": "Files read", "output": "Files written"}
    table += r.macro(
        "pager",
        pager(page, total, lambda p: links.run_files(run_id, direction=direction, page=p)),
    )
    sections = [
        workflow_tabs(ctx, conn, run_id),
        Section("direction", None, switch),
        Section("files", f"{shown[direction]} ({total}, one row per task try)", table, live=True),
    ]
    return Page(f"Files of {run_id}", sections, nav=workflow_nav(ctx, run_id), live=running)


def file_search_page(ctx: ViewContext, conn: Connection, params: Params) -> Page:
    q = params.get("q", "")
    if len(q) > MAX_PATTERN:
        raise BadRequestError(f"q is {len(q)} characters long; at most {MAX_PATTERN} are searched")
    page = int_param(params, "page", 0)
    total = qf.count_files(conn, q or None)
    rows = qf.search_files(conn, q or None, page)
    r = ctx.renderer
    table = r.macro("files_table", rows, ctx.links) + r.macro(
        "pager", pager(page, total, lambda p: ctx.links.files(q=q, page=p))
    )
    heading = f"Files named like “{q}” ({total})" if q else f"All files ({total})"
    sections = [
        Section("search", None, r.macro("file_search_form", ctx.links.files(), q)),
        Section("files", heading, table, live=True),
    ]
    title = "Files" + (f" like “{q}”" if q else "")
    return Page(title, sections, nav=SITE_NAV)


def _tries(n: int) -> str:
    return f"{n} task try" if n == 1 else f"{n} task tries"


def file_page(ctx: ViewContext, conn: Connection, file_id: str, params: Params) -> Page:
    f = qf.get_file(conn, file_id)
    run_id = f["run_id"]
    page = int_param(params, "page", 0)
    r = ctx.renderer
    writers_total = qf.count_file_uses(conn, file_id, "output")
    writers = qf.file_uses(conn, file_id, "output", 0)
    readers_total = qf.count_file_uses(conn, file_id, "input")
    readers = qf.file_uses(conn, file_id, "input", page)
    writers_html = f'<p id="writers-count">{_tries(writers_total)} wrote it.</p>' + r.macro(
        "uses_table", writers, ctx.links, "writers-table", "No task recorded writing it."
    )
    if writers_total > len(writers):
        writers_html += f'<p class="muted">The first {len(writers)} of {writers_total}.</p>'
    readers_html = (
        f'<p id="readers-count">{_tries(readers_total)} read it.</p>'
        + r.macro("uses_table", readers, ctx.links, "readers-table", "No task read it.")
        + r.macro(
            "pager",
            pager(page, readers_total, lambda p: ctx.links.file(file_id, page=p)),
        )
    )
    sections = [
        Section("file", "File", r.macro("file_facts", f, ctx.links), live=True),
        Section("writers", "Written by", writers_html, live=True),
        Section("readers", "Read by", readers_html, live=True),
    ]
    return Page(
        f"File {f['file_name']}",
        sections,
        nav=workflow_nav(ctx, run_id),
        live=_running(conn, run_id),
    )


def environment_page(
    ctx: ViewContext, conn: Connection, environment_id: str, params: Params
) -> Page:
    env = qf.get_environment(conn, environment_id)
    run_id = env["run_id"]
    r = ctx.renderer
    tasks_href = ctx.links.tasks(run_id, environment=environment_id)
    states = r.macro("environment_states", env["states"], ctx.links, run_id, environment_id)
    sections = [
        Section(
            "environment",
            "Environment",
            r.macro("environment_facts", env, ctx.links, tasks_href),
            live=True,
        ),
        Section("environment-tasks", "Its tasks by state", states, live=True),
    ]
    return Page(
        f"Environment {env['label']} of {run_id}",
        sections,
        nav=workflow_nav(ctx, run_id),
        live=_running(conn, run_id),
    )


def task_files_section(
    ctx: ViewContext, conn: Connection, run_id: str, task_id: int, key: str
) -> Section | None:
    """A task's input and output files, for a run with file provenance (else None)."""
    if not qf.run_has_files(conn, run_id):
        return None
    files = qf.task_files(conn, run_id, task_id)
    return Section(key, "Files", ctx.renderer.macro("task_files", files, ctx.links), live=True)

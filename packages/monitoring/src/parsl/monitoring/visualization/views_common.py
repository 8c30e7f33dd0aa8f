"""What every page module shares: the view context, query parameters, pagers and the tabs."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from sqlalchemy.engine import Connection

from parsl.monitoring.visualization import queries_files as qf
from parsl.monitoring.visualization import queries_workflow as qw
from parsl.monitoring.visualization.database import Database
from parsl.monitoring.visualization.errors import BadRequestError
from parsl.monitoring.visualization.render import SITE_NAV, Links, Renderer, Section

Params = Mapping[str, str]


@dataclass
class ViewContext:
    db: Database
    renderer: Renderer
    links: Links


def int_param(params: Params, name: str, default: int, minimum: int = 0) -> int:
    """Query parameter ``name`` as an int >= ``minimum``; BadRequestError naming it otherwise."""
    raw = params.get(name, "")
    if raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise BadRequestError(f"{name}={raw!r} is not a whole number") from None
    if value < minimum:
        raise BadRequestError(f"{name}={value} must be at least {minimum}")
    return value


def pager(page: int, total: int, href: Callable[[int], str | None]) -> list[tuple[str, str | None]]:
    """Previous/next links and "page i of n" for a table of ``total`` rows."""
    pages = max(1, math.ceil(total / qw.PAGE_SIZE))
    if pages == 1:
        return []
    return [
        ("« previous", href(page - 1) if page > 0 else None),
        (f"page {page + 1} of {pages} ({total} rows)", None),
        ("next »", href(page + 1) if page + 1 < pages else None),
    ]


def workflow_tabs(ctx: ViewContext, conn: Connection, run_id: str) -> Section:
    """The links between a workflow's pages (Files only for a run with file provenance)."""
    items = [
        ("Overview", ctx.links.workflow(run_id)),
        ("Tasks", ctx.links.tasks(run_id)),
        ("DAG", ctx.links.dag(run_id)),
        ("Resources", ctx.links.resources(run_id)),
    ]
    if qf.run_has_files(conn, run_id):
        items.append(("Files", ctx.links.run_files(run_id)))
    return Section("tabs", None, ctx.renderer.macro("tabs", items))


def workflow_nav(ctx: ViewContext, run_id: str) -> list[tuple[str, str]]:
    """The site navigation plus a link back to workflow ``run_id``."""
    return [*SITE_NAV, ("Workflow", ctx.links.workflow(run_id) or "/")]


def db_now() -> float:
    """Now, on the database's clock scale (naive local time as epoch seconds)."""
    return (dt.datetime.now() - dt.datetime(1970, 1, 1)).total_seconds()

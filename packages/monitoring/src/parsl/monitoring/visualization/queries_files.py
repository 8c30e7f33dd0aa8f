"""Queries behind the file provenance pages: files, who read and wrote them, environments, notes.

Every list is one page of rows (or a bounded head of them) with its count
from SQL; a run may have hundreds of thousands of file rows.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import String, Table, and_, func, literal, select, union_all
from sqlalchemy.engine import Connection

from parsl.monitoring.db.tables import (
    environment,
    file,
    input_file,
    misc_info,
    output_file,
    task,
    try_,
    workflow,
)
from parsl.monitoring.visualization.errors import BadRequestError, NotFoundError
from parsl.monitoring.visualization.queries_workflow import PAGE_SIZE

DIRECTIONS = ("input", "output")
"""A task reads its ``input`` files and writes its ``output`` files."""

MAX_NOTES = 50
"""The newest notes (``misc_info``) a workflow's overview shows."""

MAX_TASK_FILES = 200
"""Files per direction listed on a task's page."""

MAX_ENVIRONMENTS = 100
"""Environments listed on a workflow's overview (one per executor, normally)."""

_USE_TABLES: dict[str, Table] = {"input": input_file, "output": output_file}


def like_pattern(text: str) -> str:
    """A user's search text as a LIKE pattern in which only ``%`` is a wildcard (escape ``\\``)."""
    return text.replace("\\", "\\\\").replace("_", "\\_")


def run_has_files(conn: Connection, run_id: str) -> bool:
    row = conn.execute(select(file.c.file_id).where(file.c.run_id == run_id).limit(1)).first()
    return row is not None


def file_summary(conn: Connection, run_id: str) -> dict[str, int]:
    """Counts: files, files tasks wrote, pure inputs, reads and writes (one per task try)."""
    files, written = conn.execute(
        select(func.count(), func.count(file.c.task_id)).where(file.c.run_id == run_id)
    ).one()
    reads = conn.execute(
        select(func.count()).select_from(input_file).where(input_file.c.run_id == run_id)
    ).scalar()
    writes = conn.execute(
        select(func.count()).select_from(output_file).where(output_file.c.run_id == run_id)
    ).scalar()
    return {
        "files": int(files or 0),
        "written": int(written or 0),
        "inputs_only": int(files or 0) - int(written or 0),
        "reads": int(reads or 0),
        "writes": int(writes or 0),
    }


def check_direction(direction: str | None) -> None:
    """BadRequestError unless ``direction`` is None, ``input`` or ``output``."""
    if direction is not None and direction not in DIRECTIONS:
        raise BadRequestError(f"direction={direction!r}: choose 'input' or 'output'")


def _uses(run_id: str, direction: str | None) -> Any:
    """Subquery: (file_id, task_id, try_id, direction) of a run's reads and/or writes."""
    parts = [
        select(
            t.c.file_id,
            t.c.task_id,
            t.c.try_id,
            literal(name, String).label("direction"),
        ).where(t.c.run_id == run_id)
        for name, t in _USE_TABLES.items()
        if direction in (None, name)
    ]
    return (union_all(*parts) if len(parts) > 1 else parts[0]).subquery()


def count_run_file_uses(conn: Connection, run_id: str, direction: str | None = None) -> int:
    check_direction(direction)
    q = select(func.count()).select_from(_uses(run_id, direction))
    return int(conn.execute(q).scalar() or 0)


def run_file_uses(
    conn: Connection, run_id: str, direction: str | None, page: int, size: int = PAGE_SIZE
) -> list[dict[str, Any]]:
    """One page of a run's reads and writes in task order, with file names and apps.

    The page is cut from the bare use rows first, so only its rows are joined.
    """
    check_direction(direction)
    u = _uses(run_id, direction)
    order = (u.c.task_id, u.c.direction, u.c.try_id, u.c.file_id)
    cut = select(u).order_by(*order).limit(size).offset(page * size).subquery()
    rows = conn.execute(
        select(
            cut.c.task_id,
            cut.c.try_id,
            cut.c.direction,
            cut.c.file_id,
            file.c.file_name,
            file.c.size,
            task.c.task_func_name,
        )
        .select_from(
            cut.outerjoin(file, file.c.file_id == cut.c.file_id).outerjoin(
                task, and_(task.c.run_id == run_id, task.c.task_id == cut.c.task_id)
            )
        )
        .order_by(cut.c.task_id, cut.c.direction, cut.c.try_id, cut.c.file_id)
    ).all()
    return [r._asdict() for r in rows]


def _search_where(pattern: str | None) -> Any:
    if not pattern:
        return True
    return file.c.file_name.like(like_pattern(pattern), escape="\\")


def count_files(conn: Connection, pattern: str | None) -> int:
    q = select(func.count()).select_from(file).where(_search_where(pattern))
    return int(conn.execute(q).scalar() or 0)


def search_files(
    conn: Connection, pattern: str | None, page: int, size: int = PAGE_SIZE
) -> list[dict[str, Any]]:
    """One page of the files whose name matches ``pattern`` (``%`` wildcards), by name."""
    rows = conn.execute(
        select(
            file,
            workflow.c.workflow_name,
            task.c.task_func_name,
        )
        .select_from(
            file.outerjoin(workflow, workflow.c.run_id == file.c.run_id).outerjoin(
                task, and_(task.c.run_id == file.c.run_id, task.c.task_id == file.c.task_id)
            )
        )
        .where(_search_where(pattern))
        .order_by(file.c.file_name, file.c.file_id)
        .limit(size)
        .offset(page * size)
    ).all()
    return [r._asdict() for r in rows]


def get_file(conn: Connection, file_id: str) -> dict[str, Any]:
    """The file row with its workflow, writer's app and environment; NotFoundError if none."""
    row = conn.execute(
        select(
            file,
            workflow.c.workflow_name,
            task.c.task_func_name,
            task.c.task_environment.label("environment_id"),
            environment.c.label.label("environment_label"),
        )
        .select_from(
            file.outerjoin(workflow, workflow.c.run_id == file.c.run_id)
            .outerjoin(task, and_(task.c.run_id == file.c.run_id, task.c.task_id == file.c.task_id))
            .outerjoin(environment, environment.c.environment_id == task.c.task_environment)
        )
        .where(file.c.file_id == file_id)
    ).first()
    if row is None:
        raise NotFoundError(f"no file with id {file_id!r} in this database")
    return row._asdict()


def count_file_uses(conn: Connection, file_id: str, direction: str) -> int:
    t = _USE_TABLES[direction]
    q = select(func.count()).select_from(t).where(t.c.file_id == file_id)
    return int(conn.execute(q).scalar() or 0)


def file_uses(
    conn: Connection, file_id: str, direction: str, page: int, size: int = PAGE_SIZE
) -> list[dict[str, Any]]:
    """One page of the task tries that read (``input``) or wrote (``output``) a file."""
    t = _USE_TABLES[direction]
    rows = conn.execute(
        select(
            t.c.run_id,
            t.c.task_id,
            t.c.try_id,
            task.c.task_func_name,
            task.c.task_status_name,
            try_.c.hostname,
            try_.c.task_try_time_launched,
        )
        .select_from(
            t.outerjoin(
                task, and_(task.c.run_id == t.c.run_id, task.c.task_id == t.c.task_id)
            ).outerjoin(
                try_,
                and_(
                    try_.c.run_id == t.c.run_id,
                    try_.c.task_id == t.c.task_id,
                    try_.c.try_id == t.c.try_id,
                ),
            )
        )
        .where(t.c.file_id == file_id)
        .order_by(t.c.run_id, t.c.task_id, t.c.try_id)
        .limit(size)
        .offset(page * size)
    ).all()
    return [r._asdict() for r in rows]


def task_files(
    conn: Connection, run_id: str, task_id: int, limit: int = MAX_TASK_FILES
) -> dict[str, tuple[int, list[dict[str, Any]]]]:
    """Per direction: (how many, the first ``limit``) of the files a task's tries read/wrote."""
    out: dict[str, tuple[int, list[dict[str, Any]]]] = {}
    for direction, t in _USE_TABLES.items():
        mine = and_(t.c.run_id == run_id, t.c.task_id == task_id)
        total = int(conn.execute(select(func.count()).select_from(t).where(mine)).scalar() or 0)
        rows = conn.execute(
            select(
                t.c.try_id,
                t.c.file_id,
                file.c.file_name,
                file.c.size,
                file.c.md5sum,
                file.c.timestamp,
            )
            .select_from(t.outerjoin(file, file.c.file_id == t.c.file_id))
            .where(mine)
            .order_by(t.c.try_id, file.c.file_name, t.c.file_id)
            .limit(limit)
        ).all()
        out[direction] = (total, [r._asdict() for r in rows])
    return out


def find_environment(conn: Connection, environment_id: str | None) -> dict[str, Any] | None:
    if not environment_id:
        return None
    row = conn.execute(
        select(environment).where(environment.c.environment_id == environment_id)
    ).first()
    return None if row is None else row._asdict()


def get_environment(conn: Connection, environment_id: str) -> dict[str, Any]:
    """The environment row, its workflow's name and its tasks by state; NotFoundError if none."""
    env = find_environment(conn, environment_id)
    if env is None:
        raise NotFoundError(f"no environment with id {environment_id!r} in this database")
    env["workflow_name"] = conn.execute(
        select(workflow.c.workflow_name).where(workflow.c.run_id == env["run_id"])
    ).scalar()
    states = conn.execute(
        select(task.c.task_status_name, func.count())
        .where(task.c.run_id == env["run_id"], task.c.task_environment == environment_id)
        .group_by(task.c.task_status_name)
        .order_by(task.c.task_status_name)
    ).all()
    env["states"] = [(s, int(n)) for s, n in states]
    env["tasks"] = sum(n for _, n in env["states"])
    return env


def run_environments(
    conn: Connection, run_id: str, limit: int = MAX_ENVIRONMENTS
) -> list[dict[str, Any]]:
    """A run's environments by label, each with how many of its tasks ran there."""
    counts = (
        select(task.c.task_environment.label("env"), func.count().label("tasks"))
        .where(task.c.run_id == run_id, task.c.task_environment.is_not(None))
        .group_by(task.c.task_environment)
        .subquery()
    )
    rows = conn.execute(
        select(environment, func.coalesce(counts.c.tasks, 0).label("tasks"))
        .select_from(environment.outerjoin(counts, counts.c.env == environment.c.environment_id))
        .where(environment.c.run_id == run_id)
        .order_by(environment.c.label, environment.c.environment_id)
        .limit(limit)
    ).all()
    return [r._asdict() for r in rows]


def notes(
    conn: Connection, run_id: str, limit: int = MAX_NOTES
) -> tuple[int, list[dict[str, Any]]]:
    """(how many notes the run has, its newest ``limit`` of them, oldest first)."""
    total = conn.execute(
        select(func.count()).select_from(misc_info).where(misc_info.c.run_id == run_id)
    ).scalar()
    rows = conn.execute(
        select(misc_info.c.timestamp, misc_info.c.info)
        .where(misc_info.c.run_id == run_id)
        .order_by(misc_info.c.timestamp.desc(), misc_info.c.id.desc())
        .limit(limit)
    ).all()
    return int(total or 0), [r._asdict() for r in reversed(rows)]

"""Dialect-specific writes: upserts of task, try and workflow rows, duplicate-tolerant inserts,
and a heartbeat's refresh of its manager's ``node`` row.

SQLite and PostgreSQL share ``INSERT ... ON CONFLICT``; SQLAlchemy builds
it through each dialect's own ``insert``. The merge rules match those
:class:`parsl.monitoring.db.rows.RowBatch` applies within a batch (an
``ON CONFLICT DO UPDATE`` may touch a row only once per statement).

:class:`Prepared` compiles a statement once and runs it with the driver's
own ``executemany``: the writer's hot path, without per-row SQLAlchemy work.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable, Collection, Sequence
from itertools import chain
from operator import is_not
from typing import Any

from sqlalchemy import Connection, Table, case, func, literal_column, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import DBAPIError
from sqlalchemy.sql.dml import Insert

from parsl.monitoring.db import tables
from parsl.monitoring.db.rows import FINAL_STATE_NAMES, NODE_COLUMNS, Row

_INSERTS: dict[str, Callable[[Table], Any]] = {
    "sqlite": sqlite.insert,
    "postgresql": postgresql.insert,
}


def _insert(dialect: str, table: Table) -> Any:
    try:
        return _INSERTS[dialect](table)
    except KeyError:
        raise ValueError(f"no upsert for the {dialect!r} database") from None


def insert_ignoring_duplicates(dialect: str, table: Table) -> Insert:
    """``INSERT`` that skips rows whose primary key is already stored."""
    return _insert(dialect, table).on_conflict_do_nothing()  # type: ignore[no-any-return]


def _on_conflict_update(
    ins: Any,
    index_elements: list[Any],
    updates: dict[str, Any],
    coalesced: Collection[str],
    known: Collection[str] | None,
) -> Insert:
    """``ins`` with ``ON CONFLICT DO UPDATE SET updates``.

    ``coalesced`` names the columns whose update is a ``coalesce`` of the stored and the
    new value, which keeps the stored value when the new one is NULL. Given ``known``
    (the columns the rows name), those updates of the columns the rows leave out are left
    out too: the new value is NULL (no column has a default), so nothing stored changes,
    and the database is spared their work (on SQLite, a column in the ``SET`` list has
    every index over it rewritten, whatever its value: ``task_hashsum_idx`` for each task
    row updated).
    """
    if known is not None:
        updates = {c: u for c, u in updates.items() if c in known or c not in coalesced}
    return ins.on_conflict_do_update(  # type: ignore[no-any-return]
        index_elements=index_elements, set_=updates
    )


def upsert_task(dialect: str, known: Collection[str] | None = None) -> Insert:
    """Insert a task row, or merge it into the stored one (a final state sticks).

    ``known``: the columns the rows give (see :func:`_on_conflict_update`); None for all.
    """
    t = tables.task
    ins = _insert(dialect, t)
    ex = ins.excluded
    keep_if_null = (
        "task_time_returned",
        "task_executor",
        "task_fail_reason",
        "task_hashsum",
        "task_environment",
    )
    coalesced = (*keep_if_null, "task_time_invoked")
    updates: dict[str, Any] = {}
    for col in t.columns:
        if col.primary_key:
            continue
        if col.name in keep_if_null:
            updates[col.name] = func.coalesce(ex[col.name], col)
        elif col.name == "task_time_invoked":
            updates[col.name] = func.coalesce(col, ex[col.name])
        elif col.name == "task_status_name":
            # Inline constants (fixed state names), so the statement's only parameters are
            # the row's values: it can be compiled once and run with executemany.
            names = ", ".join(f"'{name}'" for name in sorted(FINAL_STATE_NAMES))
            is_final = col.op("IN")(literal_column(f"({names})"))
            updates[col.name] = case((is_final, col), else_=ex[col.name])
        else:
            updates[col.name] = ex[col.name]
    return _on_conflict_update(ins, [t.c.task_id, t.c.run_id], updates, coalesced, known)


def upsert_try(dialect: str, known: Collection[str] | None = None) -> Insert:
    """Insert a try row, or fill in the stored one: a known value replaces, unknown keeps.

    ``known``: the columns the rows give (see :func:`_on_conflict_update`); None for all.
    """
    t = tables.try_
    ins = _insert(dialect, t)
    ex = ins.excluded
    updates: dict[str, Any] = {}
    for col in t.columns:
        if col.primary_key:
            continue
        if col.name == "task_executor":
            updates[col.name] = case(
                (ex[col.name] == literal_column("''"), col), else_=ex[col.name]
            )
        else:
            updates[col.name] = func.coalesce(ex[col.name], col)
    coalesced = [c for c in updates if c != "task_executor"]
    index = [t.c.try_id, t.c.task_id, t.c.run_id]
    return _on_conflict_update(ins, index, updates, coalesced, known)


def upsert_file(dialect: str) -> Insert:
    """Insert a ``file`` row, or replace the stored one (a task wrote the file again)."""
    t = tables.file
    ins = _insert(dialect, t)
    fresh = [c.name for c in t.columns if not c.primary_key]
    return ins.on_conflict_do_update(  # type: ignore[no-any-return]
        index_elements=[t.c.file_id], set_={c: ins.excluded[c] for c in fresh}
    )


def upsert_workflow(dialect: str) -> Insert:
    """Insert a workflow row, or refresh a stored one of the same run id."""
    t = tables.workflow
    ins = _insert(dialect, t)
    fresh = ("workflow_name", "workflow_version", "time_began", "rundir", "host", "user")
    return ins.on_conflict_do_update(  # type: ignore[no-any-return]
        index_elements=[t.c.run_id], set_={c: ins.excluded[c] for c in fresh}
    )


def _positional(dialect: Dialect, paramstyle: str) -> Dialect:
    """A dialect like ``dialect`` that compiles positional parameters: rows are tuples."""
    make: Any = type(dialect)
    positional: Dialect = make(paramstyle=paramstyle)
    return positional


ROWS_PER_STATEMENT = 512
"""The most rows one multi-row ``INSERT`` carries on PostgreSQL (a power of two)."""

_DOLLAR = re.compile(r"\$(\d+)")


def multirow(sql: str, width: int, n: int) -> str:
    """``sql``, an ``INSERT ... VALUES ($1, ..., $width) ...`` of one row, made to insert ``n``."""
    start = sql.index(" VALUES (") + len(" VALUES ")
    end = sql.index(")", sql.rindex(f"${width}", start)) + 1
    if "$" in sql[:start] + sql[end:]:
        raise ValueError(f"parameters outside the VALUES list of {sql!r:.200}")
    row = sql[start:end]

    def shifted(r: int) -> str:
        return _DOLLAR.sub(lambda m: f"${int(m[1]) + r * width}", row)

    return sql[:start] + ", ".join(shifted(r) for r in range(n)) + sql[end:]


SQLITE_ROWS_PER_STATEMENT = 64
"""The most rows one multi-row ``INSERT`` carries on SQLite (fewer for wide rows: see below)."""

SQLITE_MAX_PARAMETERS = 999
"""Parameters per statement that every SQLite takes (3.32 and later take 32,766)."""


def multirow_qmark(sql: str, width: int, n: int) -> str:
    """``sql``, an ``INSERT ... VALUES (?, ..., ?) ...`` of one row of ``width``, made to insert ``n``."""
    start = sql.index(" VALUES (") + len(" VALUES ")
    end = sql.index(")", start) + 1
    row = sql[start:end]
    if row.count("?") != width or "?" in sql[:start] + sql[end:]:
        raise ValueError(f"not one row of {width} parameters in VALUES: {sql!r:.200}")
    return sql[:start] + ", ".join([row] * n) + sql[end:]


def _getter(positions: list[int], width: int) -> Callable[[Row], Row] | None:
    """The values of a row of ``width`` at ``positions``, as a tuple; None for all, in order."""
    if positions == list(range(width)):
        return None
    getter = operator.itemgetter(*positions)
    if len(positions) == 1:
        return lambda row: (getter(row),)
    return getter


class Prepared:
    """An insert or upsert of rows (tuples in ``columns`` order) run with the driver's ``executemany``.

    Values must be driver-ready (see :class:`parsl.monitoring.db.rows.RowBatch`
    for times): no type processing happens here. A ``None`` is not sent:
    rows are grouped by which of their values are known, and each group goes
    to a statement naming only those columns (compiled once per set, with a
    positional paramstyle), so the database fills in ``NULL`` itself. That
    stores exactly what binding ``NULL`` would (no column has a default),
    and costs the driver less: Python's ``sqlite3`` adapts every ``None`` it
    binds through its adapter lookup, several times dearer than a number.

    On PostgreSQL with psycopg, a group goes as multi-row ``INSERT ...
    VALUES (...), (...)`` statements (``$n`` parameters, through psycopg's
    ``RawCursor``, in the connection's transaction): psycopg's
    ``executemany`` spends several times a row's insert on Python work per
    row. Each statement carries a power of two rows, at most
    :data:`ROWS_PER_STATEMENT`, so few distinct statements are ever built.

    On SQLite, a group's rows go ``n`` at a time as one multi-row ``INSERT``
    (``executemany`` over chunks of ``n`` rows' values; the rest one row at a
    time): SQLite runs one statement per chunk, not per row, which halves what
    a status row costs it (the same rows, in the same order).

    ``ordered`` keeps the rows' order across groups (only consecutive rows
    with the same known columns share a statement): for inserts whose
    outcome depends on it (which of two duplicate keys is kept, the order of
    assigned ids). An upsert of one row per key, whose outcome does not,
    gathers each set's rows into one statement.
    """

    def __init__(
        self,
        statement: Insert,
        dialect: Dialect,
        columns: Sequence[str],
        *,
        ordered: bool,
        for_columns: Callable[[Collection[str]], Insert] | None = None,
    ) -> None:
        self.statement = statement
        self.for_columns = for_columns
        """Builds the statement for rows that give only some columns (an upsert that leaves
        out what those rows cannot change); None: ``statement`` for all of them."""
        self.engine_dialect = dialect
        # psycopg 3.2 and later (RawCursor: $n parameters, no parsing of the statement)
        self._raw_cursor: Any = None
        if dialect.name == "postgresql" and dialect.driver == "psycopg":
            self._raw_cursor = getattr(dialect.loaded_dbapi, "RawCursor", None)
        self.raw_postgres = self._raw_cursor is not None
        self.sqlite = dialect.name == "sqlite"
        if self.raw_postgres:
            self.dialect = _positional(dialect, "numeric_dollar")
        else:
            self.dialect = dialect if dialect.positional else _positional(dialect, "format")
        self._many: dict[tuple[tuple[bool, ...], int], str] = {}
        self.columns = tuple(columns)
        self.ordered = ordered
        self._nones = (None,) * len(self.columns)
        table = statement.table
        self.never_null = all(not table.c[c].nullable for c in self.columns)
        """No column may be NULL (status): rows are sent as they are, with no look for None."""
        self._sql: dict[tuple[bool, ...], tuple[str, Callable[[Row], Row] | None]] = {}

    def sql(self, known: tuple[bool, ...]) -> tuple[str, Callable[[Row], Row] | None]:
        """The statement for rows whose known values are where ``known`` is True.

        Also how to take such a full row (in column order) to the statement's
        parameters: its known values, picked and put in the statement's order
        in one step; None when the row already is that.
        """
        found = self._sql.get(known)
        if found is None:
            keys = [c for c, k in zip(self.columns, known, strict=True) if k]
            statement = self.statement if self.for_columns is None else self.for_columns(keys)
            compiled = statement.compile(dialect=self.dialect, column_keys=keys)
            order = list(compiled.positiontup or ())
            if sorted(order) != sorted(keys):
                raise ValueError(f"statement parameters {order} are not the columns {keys}")
            pick = _getter([self.columns.index(name) for name in order], len(known))
            found = self._sql[known] = (compiled.string, pick)
        return found

    def run(self, conn: Connection, rows: Sequence[Row]) -> None:
        groups: list[tuple[tuple[bool, ...], list[Row]]] = []
        if self.never_null:  # a None here is refused by the database either way
            self._run_group(conn, (True,) * len(self.columns), list(rows))
            return
        by_known: dict[tuple[bool, ...], list[Row]] = {}
        nones, ordered = self._nones, self.ordered
        all_known = (True,) * len(nones)
        last: tuple[bool, ...] | None = None
        group: list[Row] = []
        for row in rows:
            # Which values are known (every one: a status row, most others); _run_group
            # picks those out of the row.
            known = tuple(map(is_not, row, nones)) if None in row else all_known
            if known != last:
                last = known
                if ordered:
                    group = []
                    groups.append((known, group))
                else:
                    found = by_known.get(known)
                    if found is None:
                        found = by_known[known] = []
                        groups.append((known, found))
                    group = found
            group.append(row)
        for known, params in groups:
            self._run_group(conn, known, params)

    def _run_group(self, conn: Connection, known: tuple[bool, ...], rows: list[Row]) -> None:
        """Run the statement for ``known`` over ``rows`` (full rows, in column order)."""
        sql, pick = self.sql(known)
        params = rows if pick is None else list(map(pick, rows))
        if self.raw_postgres:
            self._run_multirow(conn, known, sql, params)
            return
        if not params:
            return
        width = len(params[0])
        n = min(SQLITE_ROWS_PER_STATEMENT, SQLITE_MAX_PARAMETERS // width)
        full = len(params) - len(params) % n if self.sqlite else 0
        if full:
            many = self._many.get((known, n))
            if many is None:
                many = self._many[known, n] = multirow_qmark(sql, width, n)
            values = iter(chain.from_iterable(params[:full]))
            conn.exec_driver_sql(many, list(zip(*[values] * (width * n), strict=False)))
        if full < len(params):
            conn.exec_driver_sql(sql, params[full:] if full else params)

    def _run_multirow(
        self, conn: Connection, known: tuple[bool, ...], sql: str, params: list[Row]
    ) -> None:
        dialect = self.engine_dialect
        dbapi_error: Any = dialect.loaded_dbapi.Error
        width = sum(known)
        driver: Any = conn.connection.driver_connection
        with self._raw_cursor(driver) as cursor:
            start = 0
            while start < len(params):
                n = min(ROWS_PER_STATEMENT, 1 << ((len(params) - start).bit_length() - 1))
                many = self._many.get((known, n))
                if many is None:
                    many = self._many[known, n] = multirow(sql, width, n)
                values = tuple(chain.from_iterable(params[start : start + n]))
                start += n
                try:
                    cursor.execute(many, values)
                except dbapi_error as e:
                    raise DBAPIError.instance(many, values, e, dbapi_error, dialect=dialect) from e


_REFRESH_NODE = text(
    "UPDATE node SET last_heartbeat = :beat, worker_count = :workers WHERE run_id = :run_id "
    'AND uid = :uid AND "timestamp" = :began AND active'
)


def refresh_node(conn: Connection, row: Row) -> bool:
    """Apply a heartbeat (a ``node`` row, see ``refreshes_a_node_row``) to the manager's row.

    Updates ``last_heartbeat`` and ``worker_count`` of the active row that began
    at ``row``'s timestamp; False if there is none. Plain SQL: the times in
    ``row`` are already in the driver's form (see ``RowBatch.stamp``).
    """
    at = dict(zip(NODE_COLUMNS, row, strict=True))
    done = conn.execute(
        _REFRESH_NODE,
        {
            "beat": at["last_heartbeat"],
            "workers": at["worker_count"],
            "run_id": at["run_id"],
            "uid": at["uid"],
            "began": at["timestamp"],
        },
    )
    return bool(done.rowcount)

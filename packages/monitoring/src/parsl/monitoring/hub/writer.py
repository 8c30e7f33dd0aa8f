"""The thread that turns queued monitoring events into database rows.

It runs in the writer process (see :mod:`parsl.monitoring.hub.process`),
not in the workflow's process. One thread owns the database connection. It blocks on the queue for the
next event, lets more gather for ``GATHER_S`` (a flush or stop request is
not kept waiting when it comes first, or last in a frame from the workflow), drains whatever is then waiting (up to ``MAX_BATCH``) and
writes it all in one transaction, so under load many events share a commit
(and a task's several transitions one ``task`` and one ``try`` upsert), and
when idle a single event is written within ``GATHER_S``. After a batch of
``BUSY_BATCH`` events or more (a steady stream), the next one gathers for
``BUSY_GATHER_S``: more of each task's transitions share its upserts, and
fewer commits rewrite the same pages. Events already waiting that fill a
batch are written at once, with no gathering: a backlog goes back to back,
so the writer keeps up with any stream its CPU can write.

A row the database refuses (a duplicate key in a table without upsert
rules, a foreign key to a run that does not exist, a value of the wrong
type) never stops the writer: the batch is retried one event per
transaction and only the refused events are skipped, with a warning.
Losing the database itself (the server stopped, the file removed, the
disk full) ends the thread: it records the error, logs it once, and sets
``failed``; the hub then drops further events instead of queueing them.
"""

from __future__ import annotations

import contextlib
import logging
import os
import queue
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, Engine, update
from sqlalchemy.engine import URL
from sqlalchemy.exc import DataError, DBAPIError, IntegrityError, SQLAlchemyError

from parsl.monitoring.db import tables
from parsl.monitoring.db.engine import describe
from parsl.monitoring.db.errors import MonitoringDatabaseError
from parsl.monitoring.db.provenance import ProvenanceState
from parsl.monitoring.db.provenance_write import ProvenanceStatements
from parsl.monitoring.db.rows import (
    BLOCK_COLUMNS,
    NODE_COLUMNS,
    RESOURCE_COLUMNS,
    STATUS_COLUMNS,
    TASK_COLUMNS,
    TRY_COLUMNS,
    RowBatch,
    sqlite_when,
    when,
)
from parsl.monitoring.db.upsert import (
    Prepared,
    insert_ignoring_duplicates,
    refresh_node,
    upsert_task,
    upsert_try,
    upsert_workflow,
)
from parsl.monitoring.hub.batch_decode import decode_radio_batch
from parsl.monitoring.radios.wire import RadioMessageError
from parsl.monitoring.sink import TaskTransition

logger = logging.getLogger(__name__)

MAX_BATCH = 5000
"""The most events written in one transaction (a frame of queued items is not split: it may
take a batch up to that many more)."""

GATHER_S = 0.05
"""After the first event of a batch, how long the writer waits for more to join it."""

BUSY_BATCH = 200
"""A batch of at least this many events means a steady stream (see ``BUSY_GATHER_S``)."""

BUSY_GATHER_S = 0.2
"""How long the writer gathers after a batch of ``BUSY_BATCH`` events or more."""

MAX_REJECTS_LOGGED = 10
"""Refused events are logged one by one up to this many; later ones only counted."""


@dataclass(frozen=True, slots=True)
class WorkflowStarted:
    """A workflow row to create (or refresh)."""

    run_id: str
    workflow_name: str
    workflow_version: str
    time_began: float
    rundir: str
    host: str
    user: str


@dataclass(frozen=True, slots=True)
class WorkflowEnded:
    """The end of a workflow: completion time and task counts."""

    run_id: str
    time_completed: float
    tasks_completed_count: int
    tasks_failed_count: int


@dataclass(frozen=True, slots=True)
class FlushRequest:
    """Asks the writer to signal ``done`` once everything queued before it is committed."""

    done: threading.Event = field(default_factory=threading.Event)
    token: int = 0
    """Names the request across the pipe to the writer process."""


class StopRequest:
    """Tells the writer to commit what it has and exit."""


QueueItem = Any
"""A TaskTransition, a TaggedMonitoringMessage tuple, bytes (a radio's batch of messages as an
executor handed it over, in :mod:`parsl.monitoring.radios.wire`'s encoding: the writer decodes it,
so the workflow's process spends nothing on it but a queue put), a WorkflowEnded or a request;
or a list of them (one frame from the workflow's process), which the writer takes whole."""


def _take(item: QueueItem, batch: list[QueueItem]) -> None:
    """Add a queued item to ``batch``; a list (a frame of items from the workflow) item by item."""
    if type(item) is list:
        batch.extend(item)
    else:
        batch.append(item)


def _is_refusal(e: BaseException) -> bool:
    """True when the database refused some rows (not when it went away)."""
    return isinstance(e, IntegrityError | DataError)


def record_start(engine: Engine, started: WorkflowStarted) -> None:
    """Write (or refresh) the workflow row at once, on the calling thread.

    ``start()`` does this before any task runs, so the row is in the
    database even if the workflow is interrupted a moment later.
    """
    with engine.begin() as conn:
        conn.execute(
            upsert_workflow(engine.dialect.name),
            {
                "run_id": started.run_id,
                "workflow_name": started.workflow_name,
                "workflow_version": started.workflow_version,
                "time_began": when(started.time_began),
                "rundir": started.rundir,
                "host": started.host,
                "user": started.user,
                "tasks_failed_count": 0,
                "tasks_completed_count": 0,
            },
        )


class DatabaseWriter(threading.Thread):
    """Owns the database connection; consumes ``events`` until a :class:`StopRequest`.

    ``engine`` comes from :func:`~parsl.monitoring.db.engine.open_for_writing`
    on the starting thread (so an unreachable database fails ``start()`` at
    once) and is used and disposed only by this thread from then on.
    """

    def __init__(
        self,
        engine: Engine,
        url: URL,
        events: queue.SimpleQueue[QueueItem],
        run_id: str,
        on_flush: Callable[[FlushRequest], None] | None = None,
    ) -> None:
        super().__init__(name="parsl-monitoring-writer", daemon=True)
        self.engine = engine
        self.url = url
        self.where = describe(url)
        self.dialect = engine.dialect.name
        self.events = events
        self.failed = threading.Event()
        self.error: Exception | None = None
        """What stopped the writer: a MonitoringDatabaseError for database trouble."""
        self.events_written = 0
        self.events_rejected = 0
        self.run_id = run_id
        """Messages without a ``run_id`` belong to this run."""
        self.on_flush = on_flush
        self.gather_s = GATHER_S
        """How long the next batch gathers (longer after a big batch: see ``BUSY_GATHER_S``)."""
        """Called (after ``done`` is set) for each flush request once it is committed."""
        d, dialect = self.dialect, engine.dialect
        self._status = Prepared(
            insert_ignoring_duplicates(d, tables.status), dialect, STATUS_COLUMNS, ordered=True
        )
        self._resource = Prepared(
            insert_ignoring_duplicates(d, tables.resource), dialect, RESOURCE_COLUMNS, ordered=True
        )
        self._block = Prepared(
            insert_ignoring_duplicates(d, tables.block), dialect, BLOCK_COLUMNS, ordered=True
        )
        self._node = Prepared(tables.node.insert(), dialect, NODE_COLUMNS, ordered=True)
        self._task = Prepared(
            upsert_task(d),
            dialect,
            TASK_COLUMNS,
            ordered=False,
            for_columns=lambda known: upsert_task(d, known),
        )
        self._try = Prepared(
            upsert_try(d),
            dialect,
            TRY_COLUMNS,
            ordered=False,
            for_columns=lambda known: upsert_try(d, known),
        )
        self._provenance = ProvenanceStatements(dialect)
        self._provenance_state = ProvenanceState()
        self._stamp = sqlite_when if d == "sqlite" else when
        self._sqlite_path = url.database if self.dialect == "sqlite" else None

    def run(self) -> None:
        conn: Connection | None = None
        try:
            conn = self.engine.connect()
            stop = False
            while not stop:
                batch = self._next_batch()
                try:
                    stop = self._write_batch(conn, batch)
                except DBAPIError as e:
                    if _is_refusal(e) or self._sqlite_path is not None:
                        raise
                    # The server closed our connection (restart, idle timeout, network
                    # blip): reconnect once and write the batch again; if the server is
                    # really gone, this fails too and the loss is reported below.
                    logger.warning("monitoring database %s: %s; reconnecting", self.where, e.orig)
                    with contextlib.suppress(Exception):
                        conn.close()
                    conn = self.engine.connect()
                    stop = self._write_batch(conn, batch)
                for item in batch:
                    if isinstance(item, FlushRequest):
                        item.done.set()
                        if self.on_flush is not None:
                            self.on_flush(item)
        except Exception as e:
            if isinstance(e, SQLAlchemyError):
                cause = getattr(e, "orig", None) or e
                wrapped = MonitoringDatabaseError(
                    f"writing monitoring database {self.where!r} failed: {cause}"
                )
                wrapped.__cause__ = e
                self.error = wrapped
            else:
                self.error = e
            self.failed.set()
            logger.error(
                "monitoring database %s lost: %s; this run's monitoring events from now on "
                "are dropped (the workflow itself carries on)",
                self.where,
                self.error,
            )
        finally:
            with contextlib.suppress(Exception):
                if conn is not None:
                    conn.close()
                self.engine.dispose()

    def _next_batch(self) -> list[QueueItem]:
        batch: list[QueueItem] = []
        _take(self.events.get(), batch)
        # (Not when a frame ends with a request: someone is waiting for it.)
        waited_for = isinstance(batch[0], StopRequest | FlushRequest) or isinstance(
            batch[-1], StopRequest | FlushRequest
        )
        self._drain(batch)
        if not waited_for and len(batch) < MAX_BATCH:
            # Let a burst gather: one transaction for all of it, and a task's task and
            # try rows merged into one upsert each, cost far less than one per event.
            # Not when what was already waiting fills the batch: a backlog is written
            # back to back, so the gathering never limits how fast the writer can go.
            time.sleep(self.gather_s)
            self._drain(batch)
        self.gather_s = BUSY_GATHER_S if len(batch) >= BUSY_BATCH else GATHER_S
        return batch

    def _drain(self, batch: list[QueueItem]) -> None:
        """Add what is waiting in the queue to ``batch``, up to ``MAX_BATCH`` or a stop."""
        while len(batch) < MAX_BATCH and not isinstance(batch[-1], StopRequest):
            try:
                _take(self.events.get_nowait(), batch)
            except queue.Empty:
                break

    def _write_batch(self, conn: Connection, batch: Sequence[QueueItem]) -> bool:
        """Write ``batch``; True when it ended with a stop request."""
        if self._sqlite_path is not None and not os.path.exists(self._sqlite_path):
            # SQLite would go on writing into the unlinked file, losing every row silently.
            raise MonitoringDatabaseError(
                f"monitoring database file {self._sqlite_path!r} was removed"
            )
        try:
            self._write_in_transaction(conn, batch)
        except SQLAlchemyError as e:
            if not _is_refusal(e):
                raise
            logger.debug("monitoring batch refused (%s); writing it event by event", e)
            for item in batch:
                try:
                    self._write_in_transaction(conn, [item])
                except SQLAlchemyError as item_error:
                    if not _is_refusal(item_error):
                        raise
                    self._reject(
                        f"{item!r:.200}: {getattr(item_error, 'orig', None) or item_error}"
                    )
        return bool(batch) and isinstance(batch[-1], StopRequest)  # a stop is always last

    def _reject(self, why: str) -> None:
        self.events_rejected += 1
        if self.events_rejected <= MAX_REJECTS_LOGGED:
            logger.warning("monitoring database %s refused an event: %s", self.where, why)
        if self.events_rejected == MAX_REJECTS_LOGGED:
            logger.warning("further refused monitoring events are only counted")

    def _write_in_transaction(self, conn: Connection, batch: Sequence[QueueItem]) -> None:
        ends: list[WorkflowEnded] = []
        rows = RowBatch(self.run_id, self._stamp, self._provenance_state)
        for item in batch:
            if isinstance(item, TaskTransition):
                rows.add_transition(item)
            elif isinstance(item, tuple):
                rows.add_message(item)
            elif type(item) is bytes:
                try:
                    messages = decode_radio_batch(item)
                except RadioMessageError as bad:
                    self._reject(f"a monitoring batch from an executor: {bad}")
                    continue
                for kind, body in messages:
                    if type(body) is list:
                        rows.add_values(kind, body)
                    else:
                        rows.add_message((kind, body))
            elif isinstance(item, WorkflowEnded):
                ends.append(item)
        for why in rows.rejected:
            self._reject(why)
        if not (ends or rows):
            return
        with conn.begin():
            self._write_rows(conn, rows)
            for e in ends:
                conn.execute(
                    update(tables.workflow)
                    .where(tables.workflow.c.run_id == e.run_id)
                    .values(
                        time_completed=when(e.time_completed),
                        tasks_completed_count=e.tasks_completed_count,
                        tasks_failed_count=e.tasks_failed_count,
                    )
                )
        self.events_written += rows.events - len(rows.rejected)
        logger.debug("monitoring writer committed %d queued items", len(batch))

    def _write_rows(self, conn: Connection, rows: RowBatch) -> None:
        for stmt, table_rows in (
            (self._task, rows.tasks),
            (self._try, rows.try_rows),
            (self._status, rows.status),
            (self._resource, rows.resources),
            (self._node, rows.nodes),
            (self._block, rows.blocks),
        ):
            if table_rows:
                stmt.run(conn, table_rows)
        if rows.provenance:
            self._provenance.write(conn, rows.provenance)
        for beat in rows.node_beats:  # one per manager per heartbeat period: rare
            if not refresh_node(conn, beat):  # its registration row is not here (older producer)
                self._node.run(conn, [beat])

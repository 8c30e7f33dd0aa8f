"""The background thread that turns queued monitoring events into database rows.

One thread owns the SQLite connection. It blocks on the queue for the next
event, then drains whatever else is already waiting (up to ``MAX_BATCH``)
and writes it all in one transaction, so under load many events share a
commit and when idle a single event is written at once.

Any database error ends the thread: it records the error, logs it, and
sets ``failed``; the hub then drops further events instead of queueing
them forever.
"""

from __future__ import annotations

import contextlib
import logging
import os
import queue
import sqlite3
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field

from parsl.dataflow.states import FINAL_STATES, States
from parsl.monitoring.hub.errors import MonitoringDatabaseError
from parsl.monitoring.sink import TaskTransition

logger = logging.getLogger(__name__)

MAX_BATCH = 5000
"""The most events written in one transaction."""

_FAILURE_STATES = frozenset({States.failed, States.fail_retryable})


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


class StopRequest:
    """Tells the writer to commit what it has and exit."""


QueueItem = TaskTransition | WorkflowStarted | WorkflowEnded | FlushRequest | StopRequest

_INSERT_WORKFLOW = """
INSERT INTO workflow (run_id, workflow_name, workflow_version, time_began, rundir, host, user)
VALUES (?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (run_id) DO UPDATE SET
    workflow_name = excluded.workflow_name,
    workflow_version = excluded.workflow_version,
    time_began = excluded.time_began,
    rundir = excluded.rundir,
    host = excluded.host,
    user = excluded.user
"""

_END_WORKFLOW = """
UPDATE workflow SET time_completed = ?, tasks_completed_count = ?, tasks_failed_count = ?
WHERE run_id = ?
"""

_INSERT_STATUS = """
INSERT INTO status (run_id, task_id, try_id, task_status_name, timestamp) VALUES (?, ?, ?, ?, ?)
"""

# The task row follows its transitions: the state is the latest one until a
# final state arrives, which then sticks (with its time as time_returned).
_UPSERT_TASK = """
INSERT INTO task (run_id, task_id, task_func_name, task_executor, task_time_invoked,
                  task_time_returned, task_status_name, task_fail_reason, task_try_count,
                  task_fail_count)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (run_id, task_id) DO UPDATE SET
    task_func_name = excluded.task_func_name,
    task_executor = COALESCE(excluded.task_executor, task.task_executor),
    task_time_invoked = MIN(task.task_time_invoked, excluded.task_time_invoked),
    task_status_name = CASE WHEN task.task_time_returned IS NULL
                            THEN excluded.task_status_name ELSE task.task_status_name END,
    task_time_returned = COALESCE(task.task_time_returned, excluded.task_time_returned),
    task_fail_reason = COALESCE(excluded.task_fail_reason, task.task_fail_reason),
    task_try_count = MAX(task.task_try_count, excluded.task_try_count),
    task_fail_count = task.task_fail_count + excluded.task_fail_count
"""


def _status_row(ev: TaskTransition) -> tuple[str, int, int, str, float]:
    return (ev.run_id, ev.task_id, ev.try_id, ev.state.name, ev.timestamp)


def _task_row(ev: TaskTransition) -> tuple[object, ...]:
    returned = ev.timestamp if ev.state in FINAL_STATES else None
    failed = 1 if ev.state in _FAILURE_STATES else 0
    return (
        ev.run_id,
        ev.task_id,
        ev.func_name,
        ev.executor,
        ev.timestamp,
        returned,
        ev.state.name,
        ev.fail_reason,
        ev.try_id + 1,
        failed,
    )


class DatabaseWriter(threading.Thread):
    """Owns the database connection; consumes ``events`` until a :class:`StopRequest`.

    ``conn`` comes from :func:`~parsl.monitoring.hub.schema.open_for_writing`
    on the starting thread (so a bad database fails ``start()`` at once) and
    is used and closed only by this thread from then on.
    """

    def __init__(
        self, conn: sqlite3.Connection, db_path: str, events: queue.SimpleQueue[QueueItem]
    ) -> None:
        super().__init__(name="parsl-monitoring-writer", daemon=True)
        self.conn = conn
        self.db_path = db_path
        self.events = events
        self.failed = threading.Event()
        self.error: Exception | None = None
        """What stopped the writer: a MonitoringDatabaseError for database trouble."""
        self.events_written = 0

    def run(self) -> None:
        conn = self.conn
        try:
            stop = False
            while not stop:
                batch = self._next_batch()
                stop = self._write_batch(conn, batch)
                for item in batch:
                    if isinstance(item, FlushRequest):
                        item.done.set()
        except Exception as e:
            if isinstance(e, sqlite3.Error):
                wrapped = MonitoringDatabaseError(f"writing {self.db_path!r} failed: {e}")
                wrapped.__cause__ = e
                self.error = wrapped
            else:
                self.error = e
            self.failed.set()
            logger.error(
                "monitoring database writer for %r stopped: %s; monitoring events from now on "
                "are dropped",
                self.db_path,
                e,
            )
        finally:
            with contextlib.suppress(sqlite3.Error):
                conn.close()

    def _next_batch(self) -> list[QueueItem]:
        batch = [self.events.get()]
        while len(batch) < MAX_BATCH and not isinstance(batch[-1], StopRequest):
            try:
                batch.append(self.events.get_nowait())
            except queue.Empty:
                break
        return batch

    def _write_batch(self, conn: sqlite3.Connection, batch: list[QueueItem]) -> bool:
        """Write ``batch`` in one transaction; True when it ended with a stop request."""
        if not os.path.exists(self.db_path):
            # SQLite would go on writing into the unlinked file, losing every row silently.
            raise MonitoringDatabaseError(f"monitoring database file {self.db_path!r} was removed")
        stop = False
        transitions: list[TaskTransition] = []
        conn.execute("BEGIN IMMEDIATE")
        try:
            for item in batch:
                if isinstance(item, TaskTransition):
                    transitions.append(item)
                    continue
                self._write_transitions(conn, transitions)
                transitions = []
                if isinstance(item, WorkflowStarted):
                    conn.execute(
                        _INSERT_WORKFLOW,
                        (
                            item.run_id,
                            item.workflow_name,
                            item.workflow_version,
                            item.time_began,
                            item.rundir,
                            item.host,
                            item.user,
                        ),
                    )
                elif isinstance(item, WorkflowEnded):
                    conn.execute(
                        _END_WORKFLOW,
                        (
                            item.time_completed,
                            item.tasks_completed_count,
                            item.tasks_failed_count,
                            item.run_id,
                        ),
                    )
                elif isinstance(item, StopRequest):
                    stop = True
            self._write_transitions(conn, transitions)
            conn.execute("COMMIT")
            logger.debug("monitoring writer committed %d queued items", len(batch))
        except BaseException:
            if conn.in_transaction:
                with contextlib.suppress(sqlite3.Error):
                    conn.execute("ROLLBACK")
            raise
        return stop

    def _write_transitions(
        self, conn: sqlite3.Connection, events: Iterable[TaskTransition]
    ) -> None:
        events = list(events)
        if not events:
            return
        conn.executemany(_INSERT_STATUS, [_status_row(ev) for ev in events])
        conn.executemany(_UPSERT_TASK, [_task_row(ev) for ev in events])
        self.events_written += len(events)

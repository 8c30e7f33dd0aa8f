"""MonitoringHub: records a workflow's tasks, tries, resources, nodes and blocks in a database."""

from __future__ import annotations

import getpass
import logging
import os
import queue
import socket
import threading
import time
from typing import Any

from sqlalchemy.engine import URL
from sqlalchemy.exc import SQLAlchemyError

from parsl.dataflow.dfk_names import default_workflow_name, default_workflow_version
from parsl.errors import bad_value
from parsl.monitoring.db.engine import absolute, check_url, default_url, describe, open_for_writing
from parsl.monitoring.db.errors import (
    MonitoringDatabaseError,
    MonitoringEventError,
    MonitoringStateError,
    MonitoringWriterStartError,
)
from parsl.monitoring.hub.process import WriterProcess
from parsl.monitoring.hub.writer import (
    FlushRequest,
    QueueItem,
    StopRequest,
    WorkflowEnded,
    WorkflowStarted,
    record_start,
)
from parsl.monitoring.sink import MonitoringSink, TaskTransition
from parsl.monitoring.types import MessageType, TaggedMonitoringMessage
from parsl.typecheck import typechecked

logger = logging.getLogger(__name__)

DEFAULT_CLOSE_TIMEOUT_S = 10.0
"""How long :meth:`MonitoringHub.close` waits for the writer to commit everything."""


def _is_number(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool)


def _is_port(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool) and 0 < v < 65536


def _current_user() -> str:
    try:
        return getpass.getuser()
    except (OSError, KeyError):  # no login name and no passwd entry (some containers)
        return str(os.getuid()) if hasattr(os, "getuid") else "unknown"


class MonitoringHub(MonitoringSink):
    """Records a workflow in Parsl's monitoring tables, in SQLite or PostgreSQL.

    Give it to ``Config(monitoring=MonitoringHub(...))``. Each run writes one
    ``workflow`` row; a ``task`` row per task (its facts and latest state); a
    ``status`` row per state change, including ``running`` and
    ``running_ended`` seen on workers; a ``try`` row per attempt; and the
    ``resource``, ``node`` and ``block`` rows executors and workers
    :meth:`send`. The database is ``logging_endpoint``, an SQLAlchemy URL
    (``"sqlite:///path/monitoring.db"``,
    ``"postgresql+psycopg://user@host/dbname"``) or, by default,
    ``monitoring.db`` beside the run directory (``runinfo/monitoring.db``).

    ``task_transition`` and ``send`` only queue the event; a light thread
    forwards bursts of events to a writer process, which writes batches,
    one transaction each (SQLite in WAL mode, so readers never block the
    workflow). The writer process ignores Ctrl-C (it commits what it has
    when the hub closes) and exits when the workflow's process ends. If the database goes away mid-run,
    the loss is logged once, later events are dropped and the workflow
    carries on.

    ``hub_address``, ``hub_port`` and ``hub_port_range`` are Parsl's and
    are validated and stored; the ``resource_monitoring_*`` arguments are
    read by executors that monitor their workers. ``close_timeout`` (not a
    Parsl argument) bounds how long :meth:`close` waits for the writer.

    ``capture_file_provenance=True`` (``file_provenance=True``, the other
    name Parsl's documentation gives, is the same) also records the files
    each task reads and writes (``file``, ``input_file``, ``output_file``:
    name, size, md5 sum, the task that wrote it and those that read it) and
    each executor's ``environment`` (provider, launcher, ``worker_init``).
    ``DataFlowKernel.log_info(msg)`` adds ``misc_info`` rows either way.
    """

    @typechecked
    def __init__(
        self,
        hub_address: str = "127.0.0.1",
        hub_port: int | None = None,
        hub_port_range: tuple[int, int] | list[int] = (55050, 56000),
        workflow_name: str | None = None,
        workflow_version: str | None = None,
        logging_endpoint: str | None = None,
        monitoring_debug: bool = False,
        resource_monitoring_enabled: bool = True,
        resource_monitoring_interval: float = 30,
        capture_file_provenance: bool = False,
        *,
        file_provenance: bool | None = None,
        close_timeout: float = DEFAULT_CLOSE_TIMEOUT_S,
    ) -> None:
        if not isinstance(hub_address, str) or not hub_address:
            raise bad_value("hub_address", hub_address, "a host name or IP address string")
        if hub_port is not None and not _is_port(hub_port):
            raise bad_value("hub_port", hub_port, "None or a port number 1-65535")
        if (
            not isinstance(hub_port_range, tuple | list)
            or len(hub_port_range) != 2
            or not all(_is_port(p) for p in hub_port_range)
            or hub_port_range[0] > hub_port_range[1]
        ):
            raise bad_value("hub_port_range", hub_port_range, "a (low, high) pair of ports 1-65535")
        for name, text in (
            ("workflow_name", workflow_name),
            ("workflow_version", workflow_version),
        ):
            if text is not None and not isinstance(text, str):
                raise bad_value(name, text, "a string or None")
        for name, flag in (
            ("monitoring_debug", monitoring_debug),
            ("resource_monitoring_enabled", resource_monitoring_enabled),
            ("capture_file_provenance", capture_file_provenance),
            ("file_provenance", False if file_provenance is None else file_provenance),
        ):
            if not isinstance(flag, bool):
                raise bad_value(name, flag, "True or False")
        if not _is_number(resource_monitoring_interval) or resource_monitoring_interval < 0:
            raise bad_value(
                "resource_monitoring_interval", resource_monitoring_interval, "seconds >= 0"
            )
        if not _is_number(close_timeout) or close_timeout <= 0:
            raise bad_value("close_timeout", close_timeout, "seconds > 0")
        # Checked now, so that a bad URL or a missing driver fails when the Config is built.
        self._url: URL | None = None if logging_endpoint is None else check_url(logging_endpoint)

        self.hub_address = hub_address
        self.hub_port = hub_port
        self.hub_port_range = (int(hub_port_range[0]), int(hub_port_range[1]))
        self.workflow_name = workflow_name
        self.workflow_version = workflow_version
        self.logging_endpoint = logging_endpoint
        self.monitoring_debug = monitoring_debug
        self.resource_monitoring_enabled = resource_monitoring_enabled
        self.resource_monitoring_interval = resource_monitoring_interval
        self.close_timeout = float(close_timeout)
        self.capture_file_provenance = capture_file_provenance or bool(file_provenance)

        self.run_id: str | None = None
        self.db_url: URL | None = None
        """The database this run writes to, once started."""
        self.db_path: str | None = None
        """For SQLite, the database file once started; None for a server database."""
        self._events: queue.SimpleQueue[QueueItem] = queue.SimpleQueue()
        self._writer: WriterProcess | None = None
        self._lock = threading.Lock()
        self._closed = False
        self._dropped = 0
        self._drop_logged = False

    def __repr__(self) -> str:
        return (
            f"MonitoringHub(hub_address={self.hub_address!r}, "
            f"workflow_name={self.workflow_name!r}, logging_endpoint={self.logging_endpoint!r})"
        )

    @property
    def dropped_events(self) -> int:
        """How many events were not queued because the hub was closed or its writer had failed."""
        return self._dropped

    @property
    def dbm_proc(self) -> WriterProcess | None:
        """The database writer process's handle (Parsl's name): ``pid`` and ``is_alive()``.

        None before :meth:`start`. Stopping it (SIGINT commits what it has
        first; it is in its own session, so a Ctrl-C at the terminal does not
        reach it) or killing it is reported once; the workflow runs on
        unrecorded and :meth:`close` ends in bounded time.
        """
        return self._writer

    @property
    def writer_error(self) -> BaseException | None:
        """The error that stopped the database writer, or None."""
        return self._writer.error if self._writer is not None else None

    def start(self, run_id: str, run_dir: str) -> None:
        """Open (creating if needed) the database, record the workflow and start the writer.

        Raises :class:`~parsl.monitoring.hub.errors.MonitoringDatabaseError`
        when the database cannot be opened, and
        :class:`~parsl.monitoring.hub.errors.MonitoringStateError` when called
        twice or after :meth:`close` (a hub serves one workflow).
        """
        if not isinstance(run_id, str) or not run_id:
            raise bad_value("run_id", run_id, "a non-empty string")
        if not isinstance(run_dir, str) or not run_dir:
            raise bad_value("run_dir", run_dir, "a non-empty path string")
        with self._lock:
            if self._closed:
                raise MonitoringStateError("MonitoringHub.start() called after close()")
            if self._writer is not None:
                raise MonitoringStateError(
                    f"MonitoringHub already started for run {self.run_id!r}; "
                    "give each parsl.load() its own MonitoringHub"
                )
            if self.monitoring_debug:
                logging.getLogger("parsl.monitoring.hub").setLevel(logging.DEBUG)
            url = absolute(self._url) if self._url is not None else default_url(run_dir)
            engine = open_for_writing(url)
            began = time.time()
            started = WorkflowStarted(
                run_id=run_id,
                # The same names the DataFlowKernel gives as dfk.workflow_name / _version.
                workflow_name=default_workflow_name(self.workflow_name),
                workflow_version=default_workflow_version(self.workflow_version, began),
                time_began=began,
                rundir=os.path.abspath(run_dir),
                host=socket.gethostname(),
                user=_current_user(),
            )
            try:
                record_start(engine, started)
            except SQLAlchemyError as e:
                raise MonitoringDatabaseError(
                    f"cannot record the workflow in monitoring database {describe(url)!r}: "
                    f"{getattr(e, 'orig', None) or e}"
                ) from e
            finally:
                engine.dispose()  # the writer process opens its own
            writer = WriterProcess(url, self._events, run_id, run_dir, self.log_config)
            try:
                writer.start()
            except OSError as e:
                raise MonitoringWriterStartError(
                    f"cannot start the monitoring writer process for {describe(url)!r}: {e}"
                ) from e
            self.run_id = run_id
            self.db_url = url
            self.db_path = url.database if url.get_backend_name() == "sqlite" else None
            self._writer = writer
        logger.info("monitoring run %s into %s", run_id, describe(url))

    def task_transition(self, event: TaskTransition) -> None:
        """Queue one transition for the writer; never blocks, never touches the disk."""
        if not isinstance(event, TaskTransition):
            raise MonitoringEventError(
                f"task_transition expects a parsl.monitoring.TaskTransition, got {event!r}"
            )
        writer = self._writer
        if self._closed or (writer is not None and writer.failed.is_set()):
            self._drop()
            return
        self._events.put(event)

    def send(self, message: TaggedMonitoringMessage) -> None:
        """Queue one ``(MessageType, dict)`` message from an executor or worker; never blocks.

        ``TASK_INFO`` messages add ``status`` rows and fill the ``try`` row
        (host, block, start time); ``RESOURCE_INFO``, ``NODE_INFO`` and
        ``BLOCK_INFO`` messages become ``resource``, ``node`` and ``block``
        rows; the kernel's file provenance messages (``INPUT_FILE_INFO``,
        ``OUTPUT_FILE_INFO``, ``ENVIRONMENT_INFO``) and ``MISC_INFO`` notes
        rows of ``file``, ``input_file``, ``output_file``, ``environment``
        and ``misc_info``. A body without ``run_id`` belongs to this hub's run. A message
        whose body the database cannot take is skipped by the writer with
        a warning.
        """
        if (
            type(message) is not tuple
            or len(message) != 2
            or not isinstance(message[0], MessageType)
            or not isinstance(message[1], dict)
        ):
            raise MonitoringEventError(
                f"send expects a (parsl.monitoring.types.MessageType, dict) pair, got {message!r:.200}"
            )
        writer = self._writer
        if self._closed or (writer is not None and writer.failed.is_set()):
            self._drop()
            return
        self._events.put(message)

    def send_encoded(self, batch: bytes) -> None:
        """Queue one radio batch as it arrived (:mod:`parsl.monitoring.radios.wire`); never blocks.

        The writer decodes it: a batch that is not one is skipped there with
        a warning, like a message the database cannot take.
        """
        if type(batch) is not bytes:
            raise MonitoringEventError(
                f"send_encoded expects the bytes of one radio batch, got {type(batch).__name__}"
            )
        writer = self._writer
        if self._closed or (writer is not None and writer.failed.is_set()):
            self._drop()
            return
        self._events.put(batch)  # bytes: the writer decodes it

    def workflow_end(self, run_id: str, tasks_completed: int, tasks_failed: int) -> None:
        """Queue the workflow's completion time and its counts of completed and failed tasks."""
        for name, count in (("tasks_completed", tasks_completed), ("tasks_failed", tasks_failed)):
            if not isinstance(count, int) or isinstance(count, bool) or count < 0:
                raise bad_value(name, count, "an int >= 0")
        if not isinstance(run_id, str):
            raise bad_value("run_id", run_id, "a string")
        writer = self._writer
        if self._closed or (writer is not None and writer.failed.is_set()):
            self._drop()
            return
        self._events.put(WorkflowEnded(run_id, time.time(), tasks_completed, tasks_failed))

    def flush(self, timeout: float = DEFAULT_CLOSE_TIMEOUT_S) -> bool:
        """Wait until everything queued so far is committed; False if that did not happen in time.

        Also False when the hub is not started, is closed, or its writer has
        failed. Readers of the database see all earlier events after True.
        """
        writer = self._writer
        if writer is None or self._closed or writer.failed.is_set():
            return False
        request = FlushRequest()
        self._events.put(request)
        deadline = time.monotonic() + timeout
        while not request.done.wait(0.05):
            if writer.failed.is_set() or not writer.is_alive() or time.monotonic() >= deadline:
                return False
        return True

    def close(self) -> None:
        """Commit everything queued and stop the writer, waiting at most ``close_timeout`` s.

        Never raises because of the database and returns in bounded time even
        if the writer is stuck or dead; calling it again does nothing.
        """
        with self._lock:
            if self._closed:
                return
            self._closed = True
            writer = self._writer
        if writer is None:
            return
        self._events.put(StopRequest())
        writer.join(self.close_timeout)
        if writer.is_alive():
            logger.error(
                "monitoring writer for %s did not finish within %.1f s; "
                "the database may miss the last events",
                writer.where,
                self.close_timeout,
            )
        elif writer.error is not None:
            # The loss itself was logged (once) when it happened.
            logger.info(
                "monitoring database %s is incomplete: %d events after its loss were dropped",
                writer.where,
                self._dropped,
            )

    def _drop(self) -> None:
        with self._lock:
            self._dropped += 1
            if self._drop_logged:
                return
            self._drop_logged = True
        writer = self._writer
        if writer is not None and writer.failed.is_set():
            return  # the writer reported the loss of its database already
        logger.warning("MonitoringHub is closed; later monitoring events are dropped")

"""The monitoring writer process itself: what runs on the other side of :class:`WriterProcess`.

Started by :class:`~parsl.monitoring.hub.process.WriterProcess` with
``python -c`` (see its ``_BOOT``): reads its configuration frame, then the
workflow's events from stdin, writes them with a
:class:`~parsl.monitoring.hub.writer.DatabaseWriter`, and sends acks, counters,
log records and failures back on stdout.
"""

from __future__ import annotations

import contextlib
import gc
import logging
import os
import pathlib
import pickle
import queue
import select
import signal
import sys
import threading
from typing import IO, Any

from sqlalchemy.engine import make_url

from parsl.logconfigs.base import oneshot_initialize_logging
from parsl.monitoring.db.engine import make_engine
from parsl.monitoring.hub.process import (
    _FIELDS,
    PARENT_CHECK_S,
    _FlushToken,
    _read_frame,
    _write_frame,
)
from parsl.monitoring.hub.writer import (
    DatabaseWriter,
    FlushRequest,
    QueueItem,
    StopRequest,
)
from parsl.monitoring.sink import TaskTransition

logger = logging.getLogger(__name__)


class _ForwardLogs(logging.Handler):
    def __init__(self, send: Any) -> None:
        super().__init__()
        self.send = send

    def emit(self, record: logging.LogRecord) -> None:
        with contextlib.suppress(Exception):
            self.send(("log", record.levelno, record.name, record.getMessage()))


def _watch_input(inp: IO[bytes], events: queue.SimpleQueue[QueueItem], parent: int) -> None:
    """Move frames from the workflow into ``events``; a stop when it ends or its parent dies.

    Each frame goes into ``events`` as one list of its items (see
    :meth:`~parsl.monitoring.hub.writer.DatabaseWriter._next_batch`).

    ``inp`` is unbuffered, so ``select`` sees every frame not yet read.
    """
    fd = inp.fileno()
    try:
        while True:
            ready, _, _ = select.select([fd], [], [], PARENT_CHECK_S)
            if not ready:
                if os.getppid() != parent:
                    break
                continue
            items: list[QueueItem] = []
            stop = False
            for item in _read_frame(inp):
                if type(item) is tuple and len(item) == len(_FIELDS):
                    items.append(TaskTransition(*item))
                elif isinstance(item, _FlushToken):
                    items.append(FlushRequest(token=item.token))
                else:
                    items.append(item)
                    if isinstance(item, StopRequest):
                        stop = True
                        break
            if items:
                events.put(items)  # the frame as one item: one queue hand-over, not one per event
            if stop:
                return
    except (EOFError, OSError, pickle.UnpicklingError, ValueError):
        pass
    events.put(StopRequest())


GC_YOUNG_THRESHOLD = 10_000
"""The writer process's first-generation GC threshold (Python's default is 700)."""


def _tune_gc() -> None:
    """Fewer, cheaper garbage collections in the writer process (its own, not the workflow's).

    Each batch allocates tens of thousands of tuples, strings and lists that live until
    it is written: at Python's default threshold the collector ran over a hundred times per
    5,000 tasks, scanning them (and every module's objects, SQLAlchemy's included) about
    twelve microseconds per task. What was loaded at start is frozen out of the scans,
    and the young generation is collected after 10,000 allocations instead of 700:
    about two microseconds per task. The writer makes few reference cycles; they are
    still collected.
    """
    gc.freeze()
    _, older, oldest = gc.get_threshold()
    gc.set_threshold(GC_YOUNG_THRESHOLD, older, oldest)


def _log_to_run_dir(config: dict[str, Any], parsl_logger: logging.Logger) -> None:
    """The writer's own log in the run directory, as Parsl's database manager keeps one.

    With the run's LogConfig it is set up as ``database_manager`` (records
    then also reach handlers it puts on the root logger); without one,
    ``database_manager.log``. Every record is still forwarded to the
    workflow's own log as well.
    """
    run_dir = config.get("run_dir")
    if not run_dir:
        return
    os.makedirs(run_dir, exist_ok=True)
    if config.get("log_config") is not None:
        try:
            log_config = pickle.loads(config["log_config"])
            oneshot_initialize_logging(
                log_config=log_config, log_dir=pathlib.Path(run_dir), log_name="database_manager"
            )
        except Exception:
            logger.exception("the run's log configuration could not be set up in the writer")
        else:
            parsl_logger.propagate = True
            return
    handler = logging.FileHandler(os.path.join(run_dir, "database_manager.log"))
    handler.setFormatter(
        logging.Formatter(
            "%(asctime)s %(name)s:%(lineno)d %(threadName)s %(levelname)s %(message)s"
        )
    )
    parsl_logger.addHandler(handler)


def main() -> None:
    """The writer process: read the config frame, then write events until told to stop.

    A SIGINT stops it as a stop request does (what has arrived is committed),
    whenever it comes: one sent while the process starts is held until then.
    """
    inp = os.fdopen(sys.stdin.fileno(), "rb", buffering=0, closefd=False)
    out = sys.stdout.buffer
    sys.stdout = sys.stderr  # nothing else may write into the answer pipe
    out_lock = threading.Lock()

    def send(obj: Any) -> None:
        data = pickle.dumps(obj)
        with out_lock, contextlib.suppress(OSError):
            _write_frame(out, data)

    try:
        config = _read_frame(inp)
    except EOFError:
        return
    events: queue.SimpleQueue[QueueItem] = queue.SimpleQueue()
    interrupted: list[int] = []

    def on_sigint(signum: int, frame: Any) -> None:
        # Sent to this pid (the writer has its own session: a Ctrl-C at the terminal
        # reaches the workflow only): commit what has arrived and stop.
        interrupted.append(signum)
        events.put(StopRequest())

    signal.signal(signal.SIGINT, on_sigint)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})  # one sent while starting: now
    send(("ready",))
    handler = _ForwardLogs(send)
    parsl_logger = logging.getLogger("parsl")
    parsl_logger.addHandler(handler)
    parsl_logger.setLevel(config["level"])
    parsl_logger.propagate = False
    handler.setLevel(config["level"])  # a LogConfig may lower the logger's level; not this
    _log_to_run_dir(config, parsl_logger)
    url = make_url(config["url"])
    writer: DatabaseWriter

    def flushed(request: FlushRequest) -> None:
        send(("flushed", request.token, writer.events_written, writer.events_rejected))

    writer = DatabaseWriter(make_engine(url), url, events, config["run_id"], on_flush=flushed)
    logger.info(
        "monitoring writer (pid %d) for run %s writing to %s",
        os.getpid(),
        config["run_id"],
        writer.where,
    )
    _tune_gc()
    writer.start()
    threading.Thread(target=_watch_input, args=(inp, events, config["parent"]), daemon=True).start()
    writer.join()
    if writer.error is not None:
        send(("failed", str(writer.error)))
    elif interrupted:
        reason = (
            f"the monitoring writer process (pid {os.getpid()}) was stopped by SIGINT "
            f"after writing {writer.events_written} events"
        )
        logger.error(
            "%s; this run's monitoring events from now on are dropped "
            "(the workflow itself carries on)",
            reason,
        )
        send(("failed", reason))
    logger.info(
        "monitoring writer finished: %d events written, %d refused",
        writer.events_written,
        writer.events_rejected,
    )
    send(("done", writer.events_written, writer.events_rejected))

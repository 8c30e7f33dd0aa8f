"""The database writer's own process, and its handle in the workflow's process.

Writing rows costs CPU; in the workflow's process it competes for the GIL
with the DataFlowKernel and the executors. So :class:`WriterProcess` starts
``python -c`` running :func:`main`, which runs a
:class:`~parsl.monitoring.hub.writer.DatabaseWriter` thread. The hub's
events queue is drained by a forwarding thread here that gathers bursts and
sends each as one pickled frame (4-byte length, then the pickle) down the
child's stdin. The child answers on its stdout: flush acknowledgements with
its counters, its log records (re-logged here), its failure and its end.

The child ignores SIGINT (Ctrl-C stops the workflow, whose cleanup closes
the hub, and the writer then commits what it has and exits) and never
outlives the workflow: when its stdin reaches end-of-file, or its parent
process is gone (it is re-parented), it commits what it has and exits.
"""

from __future__ import annotations

import contextlib
import dataclasses
import gc
import json
import logging
import os
import pickle
import queue
import select
import signal
import subprocess
import sys
import threading
import time
from operator import attrgetter
from typing import IO, Any

from sqlalchemy.engine import URL, make_url

from parsl.monitoring.db.engine import describe, make_engine
from parsl.monitoring.db.errors import MonitoringDatabaseError
from parsl.monitoring.hub.writer import (
    MAX_BATCH,
    DatabaseWriter,
    FlushRequest,
    QueueItem,
    StopRequest,
)
from parsl.monitoring.sink import TaskTransition

logger = logging.getLogger(__name__)

FORWARD_GATHER_S = 0.02
"""After the first event of a burst, how long the forwarding thread lets more join it."""

PARENT_CHECK_S = 0.5
"""How often the writer process checks that its parent is still there."""

_FIELDS = tuple(f.name for f in dataclasses.fields(TaskTransition))
_as_tuple = attrgetter(*_FIELDS)
"""A transition crosses the pipe as the tuple of its fields: half the bytes, twice as fast."""

_BOOT = (
    "import signal; signal.signal(signal.SIGINT, signal.SIG_IGN); "
    "import json, sys; sys.path[:] = json.loads(sys.argv[1]); "
    "from parsl.monitoring.hub.process import main; main()"
)


def _write_frame(out: IO[bytes], data: bytes) -> None:
    out.write(len(data).to_bytes(4, "big") + data)
    out.flush()


def _read_exactly(inp: IO[bytes], size: int) -> bytes:
    parts: list[bytes] = []
    while size:
        part = inp.read(size)
        if not part:
            raise EOFError
        parts.append(part)
        size -= len(part)
    return b"".join(parts)


def _read_frame(inp: IO[bytes]) -> Any:
    """The next object from ``inp`` (buffered or not); raises EOFError at its end."""
    size = int.from_bytes(_read_exactly(inp, 4), "big")
    return pickle.loads(_read_exactly(inp, size))


class _FlushToken:
    """A flush request as it crosses the pipe."""

    __slots__ = ("token",)

    def __init__(self, token: int) -> None:
        self.token = token

    def __reduce__(self) -> tuple[Any, ...]:
        return (_FlushToken, (self.token,))


class WriterProcess:
    """The workflow-side handle of the writer process, shaped like the writer thread it replaced.

    ``failed`` is set (and ``error`` filled) when the writer lost its
    database or died; ``events_written`` and ``events_rejected`` are its
    counters as of the last flush or its end.
    """

    def __init__(self, url: URL, events: queue.SimpleQueue[QueueItem], run_id: str) -> None:
        self.url = url
        self.where = describe(url)
        self.events = events
        self.run_id = run_id
        self.failed = threading.Event()
        self.error: Exception | None = None
        self.events_written = 0
        self.events_rejected = 0
        self.pid: int | None = None
        self.ready = threading.Event()
        """Set once the writer process has its configuration and ignores SIGINT."""
        self._proc: subprocess.Popen[bytes] | None = None
        self._flushes: dict[int, FlushRequest] = {}
        self._next_token = 1
        self._ended = False
        self._forwarder = threading.Thread(
            target=self._forward, name="parsl-monitoring-forwarder", daemon=True
        )
        self._reader = threading.Thread(
            target=self._read, name="parsl-monitoring-writer-reader", daemon=True
        )

    def start(self) -> None:
        level = logging.getLogger("parsl.monitoring.hub.writer").getEffectiveLevel()
        self._proc = subprocess.Popen(
            [sys.executable, "-c", _BOOT, json.dumps(sys.path)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            # Its own session: a Ctrl-C at the terminal goes to the workflow only (the
            # writer also ignores SIGINT, from its first line on).
            start_new_session=True,
        )
        self.pid = self._proc.pid
        assert self._proc.stdin is not None
        config = {
            "url": self.url.render_as_string(hide_password=False),
            "run_id": self.run_id,
            "parent": os.getpid(),
            "level": level,
        }
        with contextlib.suppress(OSError):
            _write_frame(self._proc.stdin, pickle.dumps(config))
        self._reader.start()
        self._forwarder.start()

    def is_alive(self) -> bool:
        proc = self._proc
        return proc is not None and (proc.poll() is None or self._reader.is_alive())

    def join(self, timeout: float | None = None) -> None:
        proc = self._proc
        if proc is None:
            return
        deadline = None if timeout is None else time.monotonic() + timeout
        self._reader.join(timeout)
        remaining = None if deadline is None else max(0.0, deadline - time.monotonic())
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(remaining)

    def _fail(self, error: Exception, log: bool) -> None:
        if self.failed.is_set():
            return
        self.error = error
        self.failed.set()
        if log:
            logger.error(
                "monitoring database %s lost: %s; this run's monitoring events from now on "
                "are dropped (the workflow itself carries on)",
                self.where,
                error,
            )

    def _encode(self, batch: list[QueueItem]) -> bytes:
        items: list[Any] = []
        for item in batch:
            if type(item) is TaskTransition:
                items.append(_as_tuple(item))
            elif isinstance(item, FlushRequest):
                token = self._next_token
                self._next_token += 1
                self._flushes[token] = item
                items.append(_FlushToken(token))
            else:
                items.append(item)
        try:
            return pickle.dumps(items, pickle.HIGHEST_PROTOCOL)
        except Exception:  # some message held something pickle cannot take: skip just it
            kept = []
            for item in items:
                try:
                    pickle.dumps(item, pickle.HIGHEST_PROTOCOL)
                except Exception as e:
                    logger.warning("monitoring event %r:.200 cannot be sent: %s", item, e)
                else:
                    kept.append(item)
            return pickle.dumps(kept, pickle.HIGHEST_PROTOCOL)

    def _forward(self) -> None:
        assert self._proc is not None and self._proc.stdin is not None
        pipe = self._proc.stdin
        events = self.events
        stop = False
        while not stop:
            batch = [events.get()]
            if not isinstance(batch[0], StopRequest | FlushRequest):
                time.sleep(FORWARD_GATHER_S)
            while len(batch) < MAX_BATCH and not isinstance(batch[-1], StopRequest):
                try:
                    batch.append(events.get_nowait())
                except queue.Empty:
                    break
            stop = isinstance(batch[-1], StopRequest)
            try:
                _write_frame(pipe, self._encode(batch))
            except OSError:
                break  # the writer process is gone; the reader reports why
        with contextlib.suppress(OSError):
            pipe.close()

    def _read(self) -> None:
        assert self._proc is not None and self._proc.stdout is not None
        inp = self._proc.stdout
        try:
            while True:
                kind, *rest = _read_frame(inp)
                if kind == "ready":
                    self.ready.set()
                elif kind == "log":
                    level, name, text = rest
                    logging.getLogger(name).log(level, "%s", text)
                elif kind == "flushed":
                    token, self.events_written, self.events_rejected = rest
                    request = self._flushes.pop(token, None)
                    if request is not None:
                        request.done.set()
                elif kind == "failed":
                    self._fail(MonitoringDatabaseError(rest[0]), log=False)
                elif kind == "done":
                    self.events_written, self.events_rejected = rest
                    self._ended = True
        except (EOFError, OSError, pickle.UnpicklingError, ValueError):
            pass
        code = self._proc.wait()
        if not self._ended:
            self._fail(
                MonitoringDatabaseError(
                    f"the monitoring writer process (pid {self._proc.pid}) exited "
                    f"unexpectedly with code {code}"
                ),
                log=True,
            )
        with contextlib.suppress(OSError):
            inp.close()


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


def main() -> None:
    """The writer process: read the config frame, then write events until told to stop."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
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
    send(("ready",))
    handler = _ForwardLogs(send)
    parsl_logger = logging.getLogger("parsl")
    parsl_logger.addHandler(handler)
    parsl_logger.setLevel(config["level"])
    parsl_logger.propagate = False
    url = make_url(config["url"])
    events: queue.SimpleQueue[QueueItem] = queue.SimpleQueue()
    writer: DatabaseWriter

    def flushed(request: FlushRequest) -> None:
        send(("flushed", request.token, writer.events_written, writer.events_rejected))

    writer = DatabaseWriter(make_engine(url), url, events, config["run_id"], on_flush=flushed)
    _tune_gc()
    writer.start()
    threading.Thread(target=_watch_input, args=(inp, events, config["parent"]), daemon=True).start()
    writer.join()
    if writer.error is not None:
        send(("failed", str(writer.error)))
    send(("done", writer.events_written, writer.events_rejected))

"""The database writer's own process, and its handle in the workflow's process.

Writing rows costs CPU; in the workflow's process it competes for the GIL
with the DataFlowKernel and the executors. So :class:`WriterProcess` starts
``python -c`` running :func:`~parsl.monitoring.hub.writer_process.main`, which runs a
:class:`~parsl.monitoring.hub.writer.DatabaseWriter` thread. The hub's
events queue is drained by a forwarding thread here that gathers bursts and
sends each as one pickled frame (4-byte length, then the pickle) down the
child's stdin. The child answers on its stdout: flush acknowledgements with
its counters, its log records (re-logged here), its failure and its end.

The child runs in its own session, so a Ctrl-C at the terminal stops the
workflow only (whose cleanup closes the hub; the writer then commits what
it has and exits). A SIGINT sent to the child's pid stops it the same way,
after committing what has arrived; the hub then reports the writer gone
once. It never outlives the workflow: when its stdin reaches end-of-file,
or its parent process is gone (it is re-parented), it commits what it has
and exits.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import logging
import os
import pickle
import queue
import subprocess
import sys
import threading
import time
from operator import attrgetter
from typing import IO, Any

from sqlalchemy.engine import URL

from parsl.logconfigs.base import LogConfig
from parsl.monitoring.db.engine import describe
from parsl.monitoring.db.errors import MonitoringDatabaseError
from parsl.monitoring.hub.writer import (
    MAX_BATCH,
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

_BOOT = (  # SIGINT is held (blocked, not lost) until main() can stop cleanly on it
    "import signal; signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT}); "
    "import json, sys; sys.path[:] = json.loads(sys.argv[1]); "
    "from parsl.monitoring.hub.writer_process import main; main()"
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

    def __init__(
        self,
        url: URL,
        events: queue.SimpleQueue[QueueItem],
        run_id: str,
        run_dir: str | None = None,
        log_config: LogConfig | None = None,
    ) -> None:
        self.url = url
        self.run_dir = run_dir
        """Where the writer keeps its own log (``database_manager.log``, as Parsl names it)."""
        self.log_config = log_config
        """The run's ``Config(initialize_logging=LogConfig)``, set up in the writer if given."""
        self.where = describe(url)
        self.events = events
        self.run_id = run_id
        self.failed = threading.Event()
        self.error: Exception | None = None
        self.events_written = 0
        self.events_rejected = 0
        self.pid: int | None = None
        self.ready = threading.Event()
        """Set once the writer process has its configuration and is writing."""
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
            # Its own session: a Ctrl-C at the terminal goes to the workflow only.
            start_new_session=True,
        )
        self.pid = self._proc.pid
        assert self._proc.stdin is not None
        config = {
            "url": self.url.render_as_string(hide_password=False),
            "run_id": self.run_id,
            "parent": os.getpid(),
            "level": level,
            "run_dir": self.run_dir,
            # Pickled apart from the rest, so that a class the writer cannot import costs
            # only this log, not the writer.
            "log_config": _pickled_log_config(self.log_config),
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


def _pickled_log_config(log_config: LogConfig | None) -> bytes | None:
    if log_config is None:
        return None
    try:
        return pickle.dumps(log_config)
    except Exception:  # the writer then keeps database_manager.log
        logger.warning("cannot pass %r to the monitoring writer: it does not pickle", log_config)
        return None

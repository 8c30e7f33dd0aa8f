"""FilesystemRadio: workers that share only a filesystem with the submit side write message files.

The receiver makes ``{run_dir}/monitor-fs-radio/<id>/`` with ``tmp/`` and
``new/`` inside (the maildir pattern). A sender writes each batch to
``tmp/`` and renames it into ``new/``, so the receiver never sees a half-written
file; the receiver's thread polls ``new/`` every ``poll_interval`` seconds,
delivers each file's messages and deletes it. A file that does not decode
is logged, moved aside to ``bad/`` and never read again.
"""

from __future__ import annotations

import itertools
import logging
import os
import socket
import threading
import time
import uuid

from parsl.argument_checks import check_positive
from parsl.dataflow.lean_event import LeanEvent
from parsl.errors import ParslError
from parsl.monitoring.errors import MonitoringRouterStartError
from parsl.monitoring.radios.base import (
    EncodingSender,
    MessageTarget,
    MonitoringRadioReceiver,
    RadioConfig,
)
from parsl.monitoring.radios.wire import RadioMessageError, decode_batch

logger = logging.getLogger(__name__)

__all__ = ["FilesystemRadio", "FilesystemRadioReceiver", "FilesystemRadioSender"]

RADIO_DIR = "monitor-fs-radio"


class FilesystemRadioSender(EncodingSender):
    """Writes each batch as one file, atomically (write to tmp/, rename into new/)."""

    def __init__(self, directory: str) -> None:
        self.directory = directory
        self._prefix = f"{socket.gethostname()}.{os.getpid()}."
        self._seq = itertools.count()

    def transmit(self, payload: bytes, final: bool) -> None:
        # Names sort in writing order (per host), so the receiver delivers in that order.
        name = f"{time.time_ns():020d}.{self._prefix}{next(self._seq):08d}"
        tmp = os.path.join(self.directory, "tmp", name)
        with open(tmp, "wb") as f:
            f.write(payload)
        os.rename(tmp, os.path.join(self.directory, "new", name))


class FilesystemRadioReceiver(MonitoringRadioReceiver):
    """A daemon thread that delivers and removes the files that appear in ``new/``."""

    def __init__(
        self, directory: str, target: MessageTarget, poll_interval: float, timeout: float
    ) -> None:
        self.directory = directory
        self._new = os.path.join(directory, "new")
        self._bad = os.path.join(directory, "bad")
        self._target = target
        self._interval = poll_interval
        self._timeout = timeout
        self._stop = LeanEvent()
        self._abandoned = False
        """Set when shutdown stops waiting for the thread: it then delivers nothing more."""
        self.dropped = 0
        """Files that did not decode (moved to ``bad/``)."""
        self._thread = threading.Thread(target=self._run, name="fs-radio-receiver", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(self._interval):
            self.poll_once()
        self.poll_once()  # what workers wrote before shutdown

    def poll_once(self) -> int:
        """Deliver every file now in ``new/``; return how many messages went to the target."""
        delivered = 0
        try:
            names = sorted(os.listdir(self._new))
        except OSError as e:
            logger.error("filesystem radio: cannot list %s: %s", self._new, e)
            return 0
        for name in names:
            if self._abandoned:
                break  # left in new/ for anyone who looks; the sink may be closed
            path = os.path.join(self._new, name)
            try:
                with open(path, "rb") as f:
                    data = f.read()
                messages = decode_batch(data)
            except OSError as e:
                logger.warning("filesystem radio: cannot read %s: %s", path, e)
                continue
            except RadioMessageError as e:
                self.dropped += 1
                logger.warning("filesystem radio: dropped %s: %s", name, e)
                os.makedirs(self._bad, exist_ok=True)
                os.replace(path, os.path.join(self._bad, name))
                continue
            os.unlink(path)
            for message in messages:
                try:
                    self._target.send(message)
                    delivered += 1
                except Exception:
                    logger.exception("filesystem radio: the sink refused a message")
        return delivered

    def shutdown(self) -> None:
        if self._stop.is_set():
            return
        self._stop.set()
        if self._timeout > 0:
            self._thread.join(self._timeout)
        if self._thread.is_alive():
            self._abandoned = True
            if self._timeout > 0:  # pragma: no cover - only with a hung filesystem
                logger.warning("filesystem radio: receiver did not stop in time")


class FilesystemRadio(RadioConfig):
    """Monitoring through files in the run directory (Parsl's ``FilesystemRadio``).

    For workers that share a filesystem with the submit side but cannot
    reach it over the network. ``poll_interval``: seconds between the
    receiver's scans; ``atexit_timeout``: how long shutdown waits for its
    last scan (0: it does not wait, and files it has not read stay in ``new/``).
    """

    def __init__(self, *, poll_interval: float = 0.5, atexit_timeout: float = 3) -> None:
        self.poll_interval = check_positive("FilesystemRadio.poll_interval", poll_interval)
        self.atexit_timeout = check_positive(
            "FilesystemRadio.atexit_timeout", atexit_timeout, allow_zero=True
        )
        self.directory: str | None = None

    def create_receiver(
        self, *, run_dir: str, resource_msgs: MessageTarget, hub_address: str | None = None
    ) -> FilesystemRadioReceiver:
        # One directory per receiver, so two executors of a run never read each other's files.
        directory = os.path.abspath(os.path.join(run_dir, RADIO_DIR, uuid.uuid4().hex[:12]))
        try:
            for sub in ("tmp", "new"):
                os.makedirs(os.path.join(directory, sub), exist_ok=True)
        except OSError as e:
            raise MonitoringRouterStartError(
                f"FilesystemRadio cannot create {directory}: {e}"
            ) from e
        self.directory = directory
        return FilesystemRadioReceiver(
            directory, resource_msgs, self.poll_interval, self.atexit_timeout
        )

    def create_sender(self) -> FilesystemRadioSender:
        if self.directory is None:
            raise ParslError(
                "FilesystemRadio has no receiver yet: the executor starts it at start()"
            )
        return FilesystemRadioSender(self.directory)

    def __repr__(self) -> str:
        return f"FilesystemRadio(directory={self.directory!r})"

"""The default memoizer: an in-memory table of results, checkpointed to disk.

A checkpoint is ``<run_dir>/checkpoint/tasks.pkl``: a header line, then
append-only records, each ``(hashsum, result)`` pickled with dill behind a
12-byte record header (payload length, payload CRC-32, header CRC-32). Each
write is flushed and fsync'd. On load, a record cut short at the end of the
file (a crash in the middle of a write) is ignored; anything else that does
not check out raises :class:`~parsl.dataflow.errors.BadCheckpoint`.
"""

from __future__ import annotations

import logging
import os
import struct
import threading
import zlib
from collections.abc import Iterator, Sequence
from concurrent.futures import Future
from typing import Any

import dill

from parsl.dataflow.errors import BadCheckpoint, DataFlowException
from parsl.dataflow.memo_hash import id_for_memo, task_hash
from parsl.dataflow.memoizer_base import CHECKPOINT_MODES, Memoizer
from parsl.dataflow.taskrecord import TaskRecord
from parsl.errors import InternalConsistencyError, bad_value
from parsl.jobs.walltime import walltime_to_seconds

__all__ = [
    "CHECKPOINT_DIRNAME",
    "CHECKPOINT_FILENAME",
    "CHECKPOINT_MODES",
    "BasicMemoizer",
    "CheckpointWriteError",
    "id_for_memo",
    "parse_checkpoint_period",
    "read_checkpoint",
]

logger = logging.getLogger(__name__)

CHECKPOINT_DIRNAME = "checkpoint"
CHECKPOINT_FILENAME = "tasks.pkl"
DEFAULT_CHECKPOINT_PERIOD = "00:30:00"
CLOSE_TIMEOUT_S = 10.0

_MAGIC = b"PARSL-CHECKPOINT 1\n"
_HEADER = struct.Struct(">III")  # payload length, crc32(payload), crc32(first 8 bytes)


class _Failed:
    """A remembered failure: later identical calls fail with this very exception (never checkpointed)."""

    __slots__ = ("exc",)

    def __init__(self, exc: BaseException) -> None:
        self.exc = exc


class CheckpointWriteError(DataFlowException):
    """A checkpoint file could not be written."""


def parse_checkpoint_period(period: object) -> float:
    """Seconds in a checkpoint period such as ``"00:30:00"`` (any walltime form); more than zero."""
    total = walltime_to_seconds(period, field="checkpoint_period")  # type: ignore[arg-type]
    if total == 0:
        raise bad_value("checkpoint_period", period, "a period longer than zero, e.g. '00:30:00'")
    return float(total)


def _encode_record(payload: bytes) -> bytes:
    head = struct.pack(">II", len(payload), zlib.crc32(payload))
    return head + struct.pack(">I", zlib.crc32(head)) + payload


def _scan_records(data: bytes, path: str) -> Iterator[tuple[int, bytes]]:
    """Yield ``(offset, payload)`` of each whole record; stop quietly at a torn tail."""
    if len(data) < len(_MAGIC) and _MAGIC.startswith(data):
        return  # the file was cut short while its header was written
    if not data.startswith(_MAGIC):
        raise BadCheckpoint(f"{path} is not a Parsl checkpoint file (unknown header)")
    pos = len(_MAGIC)
    while len(data) - pos >= _HEADER.size:
        length, payload_crc, header_crc = _HEADER.unpack_from(data, pos)
        if zlib.crc32(data[pos : pos + 8]) != header_crc:
            raise BadCheckpoint(f"{path}: record header at byte {pos} is corrupt")
        start = pos + _HEADER.size
        if start + length > len(data):
            return  # torn last record
        payload = data[start : start + length]
        if zlib.crc32(payload) != payload_crc:
            raise BadCheckpoint(f"{path}: record at byte {pos} is corrupt (checksum mismatch)")
        yield pos, payload
        pos = start + length


def _valid_length(data: bytes, path: str) -> int:
    """Length of the whole-record prefix of a checkpoint file's contents."""
    end = len(_MAGIC) if data.startswith(_MAGIC) else 0
    for offset, payload in _scan_records(data, path):
        end = offset + _HEADER.size + len(payload)
    return end


def _checkpoint_file(path: str | os.PathLike[str]) -> str:
    path = os.fspath(path)
    return path if os.path.isfile(path) else os.path.join(path, CHECKPOINT_FILENAME)


def read_checkpoint(path: str | os.PathLike[str]) -> dict[str, Any]:
    """The ``hashsum -> result`` records of a checkpoint directory (or its ``tasks.pkl``)."""
    file = _checkpoint_file(path)
    try:
        with open(file, "rb") as f:
            data = f.read()
    except OSError as e:
        raise BadCheckpoint(f"cannot read checkpoint {file}: {e.strerror or e}") from e
    records: dict[str, Any] = {}
    for offset, payload in _scan_records(data, file):
        try:
            record = dill.loads(payload)
        except Exception as e:
            raise BadCheckpoint(
                f"{file}: record at byte {offset} cannot be unpickled: {type(e).__name__}: {e}"
            ) from e
        if not (isinstance(record, tuple) and len(record) == 2 and isinstance(record[0], str)):
            raise BadCheckpoint(f"{file}: record at byte {offset} is not a (hashsum, result) pair")
        records[record[0]] = record[1]
    return records


def _append_records(file: str, records: Sequence[bytes], *, fresh: bool) -> None:
    """Append encoded records durably; on a ``fresh`` file first drop any torn tail."""
    if fresh:
        os.makedirs(os.path.dirname(file), exist_ok=True)
        if os.path.exists(file):
            with open(file, "rb") as f:
                data = f.read()
            end = _valid_length(data, file)
            if end < len(data):
                logger.warning("dropping a torn record at the end of %s", file)
                os.truncate(file, end)
    with open(file, "ab") as f:
        if f.tell() == 0:
            f.write(_MAGIC)
        f.write(b"".join(records))
        f.flush()
        os.fsync(f.fileno())
    if fresh:
        dir_fd = os.open(os.path.dirname(file), os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)


class BasicMemoizer(Memoizer):
    """Remembers results of apps with ``cache=True`` and checkpoints them to the run directory.

    :param checkpoint_files: checkpoint directories to load at start, as
        returned by :func:`parsl.utils.get_all_checkpoints`.
    :param checkpoint_mode: ``None`` (never write on its own), ``'task_exit'``
        (after each task), ``'periodic'`` (every ``checkpoint_period``),
        ``'dfk_exit'`` (at close) or ``'manual'`` (only on :meth:`checkpoint`).
    :param checkpoint_period: ``"HH:MM:SS"``, only with ``'periodic'``
        (default ``"00:30:00"``).
    :param memoize: False turns app caching off for every app, as
        ``Config(app_cache=False)`` does (nothing is reused or checkpointed).

    All arguments are keyword-only, as in Parsl.
    """

    def __init__(
        self,
        *,
        checkpoint_files: Sequence[str | os.PathLike[str]] | None = None,
        checkpoint_period: str | None = None,
        checkpoint_mode: str | None = None,
        memoize: bool = True,
    ) -> None:
        if not isinstance(memoize, bool):
            raise bad_value("memoize", memoize, "True (reuse results) or False (never)")
        self.memoize = memoize
        if checkpoint_mode not in CHECKPOINT_MODES:
            raise bad_value(
                "checkpoint_mode",
                checkpoint_mode,
                f"one of {', '.join(map(repr, CHECKPOINT_MODES))}",
            )
        if checkpoint_files is not None and (
            isinstance(checkpoint_files, str | bytes | os.PathLike)
            or not isinstance(checkpoint_files, Sequence)
            or not all(isinstance(p, str | os.PathLike) for p in checkpoint_files)
        ):
            raise bad_value(
                "checkpoint_files",
                checkpoint_files,
                "a list of checkpoint directories, e.g. parsl.utils.get_all_checkpoints()",
            )
        if checkpoint_period is not None and checkpoint_mode != "periodic":
            raise bad_value(
                "checkpoint_period",
                checkpoint_period,
                "None unless checkpoint_mode='periodic' (it sets the period of that mode)",
            )
        self.checkpoint_files = [os.fspath(p) for p in checkpoint_files or ()]
        self.checkpoint_mode = checkpoint_mode
        self.checkpoint_period = checkpoint_period
        self._period_s = (
            parse_checkpoint_period(checkpoint_period or DEFAULT_CHECKPOINT_PERIOD)
            if checkpoint_mode == "periodic"
            else None
        )
        self._table: dict[str, Any] = {}
        self._pending: list[tuple[str, Any]] = []
        self._lock = threading.Lock()  # guards _table and _pending
        self._write_lock = threading.Lock()  # one writer of the checkpoint file at a time
        self._wrote = False
        self._run_dir: str | None = None
        self._app_cache = True
        self._closed = False
        self._stop = threading.Event()
        self._timer: threading.Thread | None = None

    def __repr__(self) -> str:
        return (
            f"BasicMemoizer(checkpoint_files={self.checkpoint_files!r}, "
            f"checkpoint_mode={self.checkpoint_mode!r}, "
            f"checkpoint_period={self.checkpoint_period!r})"
        )

    @property
    def checkpoint_dir(self) -> str | None:
        """Where this run's checkpoint goes: ``<run_dir>/checkpoint``; None before start."""
        return None if self._run_dir is None else os.path.join(self._run_dir, CHECKPOINT_DIRNAME)

    def start(self, *, run_dir: str, app_cache: bool) -> None:
        """Load the checkpoint files and, in ``'periodic'`` mode, start the timer."""
        if self._run_dir is not None:
            raise InternalConsistencyError("BasicMemoizer.start() was called twice")
        if not isinstance(run_dir, str | os.PathLike):
            raise bad_value("run_dir", run_dir, "a directory path")
        if not isinstance(app_cache, bool):
            raise bad_value("app_cache", app_cache, "True or False")
        app_cache = app_cache and self.memoize
        self._app_cache = app_cache
        if app_cache:
            loaded: dict[str, Any] = {}
            for path in self.checkpoint_files:
                loaded.update(read_checkpoint(path))
            with self._lock:
                self._table.update(loaded)
            logger.info(
                "loaded %d results from %d checkpoints", len(loaded), len(self.checkpoint_files)
            )
        self._run_dir = os.path.abspath(os.fspath(run_dir))
        if self._period_s is not None and app_cache:
            self._timer = threading.Thread(
                target=self._checkpoint_periodically, name="parsl-checkpoint-timer", daemon=True
            )
            self._timer.start()

    def _require_started(self, what: str) -> str:
        if self._run_dir is None:
            raise InternalConsistencyError(f"BasicMemoizer.{what}() called before start()")
        return self._run_dir

    def check_memo(self, task: TaskRecord) -> Future[Any] | None:
        """A completed future with the remembered result of an identical task, else None."""
        self._require_started("check_memo")
        if not (self._app_cache and task.memoize):
            return None
        task.hashsum = task_hash(task)
        with self._lock:
            if task.hashsum not in self._table:
                return None
            result = self._table[task.hashsum]
        future: Future[Any] = Future()
        if isinstance(result, _Failed):
            future.set_exception(result.exc)
        else:
            future.set_result(result)
        return future

    def update_memo(self, task: TaskRecord, result: Any) -> None:
        """Remember a result (a value, or a finished future).

        A future that holds an exception is remembered in memory only: a later
        identical call in this run fails with that same exception object, as
        in Parsl; failures are not checkpointed.
        """
        self._require_started("update_memo")
        if not (self._app_cache and task.memoize):
            return
        if isinstance(result, Future):
            if not result.done() or result.cancelled():
                return
            exc = result.exception()
            if exc is not None:
                if task.hashsum is not None:
                    with self._lock:
                        self._table.setdefault(task.hashsum, _Failed(exc))
                return
            result = result.result()
        if task.hashsum is None:
            task.hashsum = task_hash(task)
        with self._lock:
            if task.hashsum in self._table:
                return  # an identical task got there first, or the result came from the memo
            self._table[task.hashsum] = result
            self._pending.append((task.hashsum, result))
        if self.checkpoint_mode == "task_exit":
            try:
                self.checkpoint()
            except CheckpointWriteError:
                logger.exception("checkpoint after task %s failed; will retry later", task.id)

    def checkpoint(self) -> str | None:
        """Write the results not yet written; the checkpoint directory, or None if none exists."""
        directory = os.path.join(self._require_started("checkpoint"), CHECKPOINT_DIRNAME)
        file = os.path.join(directory, CHECKPOINT_FILENAME)
        with self._write_lock:
            with self._lock:
                batch, self._pending = self._pending, []
            records: list[bytes] = []
            written: list[tuple[str, Any]] = []
            for hashsum, result in batch:
                try:
                    payload = dill.dumps((hashsum, result))
                except Exception as e:
                    logger.warning(
                        "result of task %s (%s) not checkpointed: cannot be pickled: %s",
                        hashsum[:12],
                        type(result).__name__,
                        e,
                    )
                    continue
                records.append(_encode_record(payload))
                written.append((hashsum, result))
            if records:
                try:
                    _append_records(file, records, fresh=not self._wrote)
                except OSError as e:
                    with self._lock:
                        self._pending[:0] = written
                    raise CheckpointWriteError(f"cannot write checkpoint {file}: {e}") from e
                self._wrote = True
                logger.debug("checkpointed %d results to %s", len(records), file)
            return directory if self._wrote or os.path.exists(file) else None

    def _checkpoint_periodically(self) -> None:
        assert self._period_s is not None
        while not self._stop.wait(self._period_s):
            try:
                self.checkpoint()
            except Exception:
                logger.exception("periodic checkpoint failed")

    def close(self) -> None:
        """Stop the timer and, in 'dfk_exit', 'periodic' and 'task_exit' modes, write the rest."""
        if self._closed:
            return
        self._closed = True
        self._stop.set()
        if self._timer is not None:
            self._timer.join(CLOSE_TIMEOUT_S)
            if self._timer.is_alive():
                logger.warning("checkpoint timer did not stop within %s s", CLOSE_TIMEOUT_S)
        if (
            self._run_dir is not None
            and self._app_cache
            and self.checkpoint_mode
            in (
                "dfk_exit",
                "periodic",
                "task_exit",
            )
        ):
            self.checkpoint()

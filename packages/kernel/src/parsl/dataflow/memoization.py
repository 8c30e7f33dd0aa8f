"""The default memoizer: an in-memory table of results, checkpointed to disk.

A checkpoint is ``<run_dir>/checkpoint/tasks.pkl`` in Parsl's own format
(see :mod:`parsl.dataflow.checkpoint_file`): checkpoints written by Parsl
load here and ours load in Parsl.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Sequence
from concurrent.futures import Future
from typing import Any

from parsl.dataflow.checkpoint_file import (
    CHECKPOINT_FILENAME,
    Failure,
    append_records,
    encode_record,
    read_checkpoint,
)
from parsl.dataflow.errors import DataFlowException
from parsl.dataflow.lean_event import LeanEvent
from parsl.dataflow.lean_future import lean_future
from parsl.dataflow.memo_hash import (
    _dict,
    _function,
    _list,
    _tuple,
    id_for_memo,
    id_for_memo_pickle,
    task_hash,
)
from parsl.dataflow.memoizer_base import CHECKPOINT_MODES, Memoizer
from parsl.dataflow.taskrecord import TaskRecord
from parsl.errors import InternalConsistencyError, bad_value
from parsl.jobs.walltime import walltime_to_seconds

make_hash = task_hash
"""Parsl's name for :func:`~parsl.dataflow.memo_hash.task_hash`: the hex key of a task's call."""

# Parsl's names for the handlers id_for_memo dispatches to (for code that calls or registers them)
id_for_memo_list = _list
id_for_memo_tuple = _tuple
id_for_memo_dict = _dict
id_for_memo_function = _function

__all__ = [
    "CHECKPOINT_DIRNAME",
    "CHECKPOINT_FILENAME",
    "CHECKPOINT_MODES",
    "BasicMemoizer",
    "CheckpointWriteError",
    "Memoizer",
    "id_for_memo",
    "id_for_memo_dict",
    "id_for_memo_function",
    "id_for_memo_list",
    "id_for_memo_pickle",
    "id_for_memo_tuple",
    "make_hash",
    "parse_checkpoint_period",
    "read_checkpoint",
]

logger = logging.getLogger(__name__)

CHECKPOINT_DIRNAME = "checkpoint"
DEFAULT_CHECKPOINT_PERIOD = "00:30:00"
CLOSE_TIMEOUT_S = 10.0


class CheckpointWriteError(DataFlowException):
    """A checkpoint file could not be written."""


def parse_checkpoint_period(period: object) -> float:
    """Seconds in a checkpoint period such as ``"00:30:00"`` (any walltime form); more than zero."""
    total = walltime_to_seconds(period, field="checkpoint_period")  # type: ignore[arg-type]
    if total == 0:
        raise bad_value("checkpoint_period", period, "a period longer than zero, e.g. '00:30:00'")
    return float(total)


class BasicMemoizer(Memoizer):
    """Remembers results of apps with ``cache=True`` and checkpoints them to the run directory.

    :param checkpoint_files: checkpoint directories to load at start, as
        returned by :func:`parsl.utils.get_all_checkpoints`. Left out (None)
        while ``checkpoint_mode`` is set, every earlier run's checkpoint under
        the Config's ``run_dir`` is loaded, as in Parsl 2026; ``[]`` loads none.
        (``Config(checkpoint_files=None)``, the older spelling, still loads none.)
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
        self.checkpoint_files: list[str] | None = (
            None if checkpoint_files is None else [os.fspath(p) for p in checkpoint_files]
        )
        self.checkpoint_mode = checkpoint_mode
        self.checkpoint_period = checkpoint_period
        self._period_s = (
            parse_checkpoint_period(checkpoint_period or DEFAULT_CHECKPOINT_PERIOD)
            if checkpoint_mode == "periodic"
            else None
        )
        self._table: dict[str, Any] = {}
        self._pending: list[tuple[str, Any]] = []
        self._from_files: set[str] = set()
        """Hashes loaded from checkpoint files and not yet written to this run's checkpoint."""
        self._lock = threading.Lock()  # guards _table, _pending and _from_files
        self._write_lock = threading.Lock()  # one writer of the checkpoint file at a time
        self._wrote = False
        self._run_dir: str | None = None
        self._app_cache = True
        self._closed = False
        self._stop = LeanEvent()
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

    def start(
        self, *, run_dir: str, config_run_dir: str | None = None, app_cache: bool = True
    ) -> None:
        """Load the checkpoint files and, in ``'periodic'`` mode, start the timer.

        ``config_run_dir`` (the Config's ``run_dir``) is accepted as Parsl's
        interface passes it; checkpoints go to ``run_dir``. ``app_cache=False``
        (``Config(app_cache=False)``, passed by the DataFlowKernel) turns
        caching off for this run as ``memoize=False`` does.

        A second ``start()`` (the memoizer given to another Config and
        loaded again) begins afresh, as Parsl's does: whatever the previous
        run left unwritten is written first, then the checkpoint files are
        loaded again and results go to the new ``run_dir``.
        """
        if self._run_dir is not None:
            self.close()
            with self._lock:
                self._table.clear()
                self._pending.clear()
                self._from_files.clear()
            self._run_dir = None
            self._wrote = False
            self._closed = False
            self._stop = LeanEvent()
            self._timer = None
        if not isinstance(run_dir, str | os.PathLike):
            raise bad_value("run_dir", run_dir, "a directory path")
        if not isinstance(app_cache, bool):
            raise bad_value("app_cache", app_cache, "True or False")
        app_cache = app_cache and self.memoize
        self._app_cache = app_cache
        if app_cache:
            files = self._files_to_load(run_dir, config_run_dir)
            loaded: dict[str, Any] = {}
            for path in files:
                loaded.update(read_checkpoint(path))
            with self._lock:
                self._table.update(loaded)
                self._from_files.update(loaded)
            logger.info("loaded %d results from %d checkpoints", len(loaded), len(files))
        self._run_dir = os.path.abspath(os.fspath(run_dir))
        if self._period_s is not None and app_cache:
            self._timer = threading.Thread(
                target=self._checkpoint_periodically, name="parsl-checkpoint-timer", daemon=True
            )
            self._timer.start()

    def _files_to_load(
        self, run_dir: str | os.PathLike[str], config_run_dir: str | None
    ) -> list[str]:
        """The checkpoints given, or (none given, checkpointing on) every earlier run's."""
        if self.checkpoint_files is not None:
            return self.checkpoint_files
        if self.checkpoint_mode is None:
            return []
        from parsl.utils import get_all_checkpoints

        runs = config_run_dir if config_run_dir is not None else os.path.dirname(os.fspath(run_dir))
        return get_all_checkpoints(os.fspath(runs))

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
            # A result an earlier run checkpointed, used again: this run's checkpoint gets it
            # too (as in Parsl), so a run restarted from this one's checkpoint still has it.
            # A failure (an 'exception' record of Parsl's) is never written back as a result.
            carried = task.hashsum in self._from_files and not isinstance(result, Failure)
            if carried:
                self._from_files.discard(task.hashsum)
                self._pending.append((task.hashsum, result))
        if carried and self.checkpoint_mode == "task_exit":
            try:
                self.checkpoint()
            except CheckpointWriteError:
                logger.exception("checkpoint of cached task %s failed; will retry later", task.id)
        future = lean_future()
        if isinstance(result, Failure):
            future.set_exception(result.exc)
        else:
            future.set_result(result)
        return future

    def update_memo_exception(self, task: TaskRecord, e: BaseException) -> None:
        """Remember a failure in memory only.

        A later identical call in this run fails with that same exception
        object, as in Parsl; failures are not checkpointed.
        """
        self._require_started("update_memo_exception")
        if not (self._app_cache and task.memoize) or task.hashsum is None:
            return
        with self._lock:
            self._table.setdefault(task.hashsum, Failure(e))

    def update_memo_result(self, task: TaskRecord, r: Any) -> None:
        """Remember a successful task's result; in ``'task_exit'`` mode, checkpoint it now."""
        self._require_started("update_memo_result")
        if not (self._app_cache and task.memoize):
            return
        if task.hashsum is None:
            task.hashsum = task_hash(task)
        with self._lock:
            if task.hashsum in self._table:
                return  # an identical task got there first, or the result came from the memo
            self._table[task.hashsum] = r
            self._pending.append((task.hashsum, r))
        if self.checkpoint_mode == "task_exit":
            try:
                self.checkpoint()
            except CheckpointWriteError:
                logger.exception("checkpoint after task %s failed; will retry later", task.id)

    def checkpoint(self) -> str | None:
        """Write the results not yet written (creating the file if need be); return its directory."""
        directory = os.path.join(self._require_started("checkpoint"), CHECKPOINT_DIRNAME)
        file = os.path.join(directory, CHECKPOINT_FILENAME)
        if not self._app_cache:
            return None  # caching is off: nothing is recorded, nothing is written
        with self._write_lock:
            with self._lock:
                batch, self._pending = self._pending, []
            records: list[bytes] = []
            written: list[tuple[str, Any]] = []
            for hashsum, result in batch:
                try:
                    payload = encode_record(hashsum, result)
                except Exception as e:
                    logger.warning(
                        "result of task %s (%s) not checkpointed: cannot be pickled: %s",
                        hashsum[:12],
                        type(result).__name__,
                        e,
                    )
                    continue
                records.append(payload)
                written.append((hashsum, result))
            try:  # as in Parsl, every checkpoint leaves the file, even with nothing new in it
                append_records(file, records, fresh=not self._wrote)
            except OSError as e:
                with self._lock:
                    self._pending[:0] = written
                raise CheckpointWriteError(f"cannot write checkpoint {file}: {e}") from e
            self._wrote = True
            if records:  # Parsl's lines, which scripts count
                logger.info("Done checkpointing %d tasks", len(records))
            else:
                logger.info("No tasks checkpointed in this pass.")
            logger.debug("checkpointed %d results to %s", len(records), file)
            return directory

    def _checkpoint_periodically(self) -> None:
        assert self._period_s is not None
        while not self._stop.wait(self._period_s):
            try:
                self.checkpoint()
            except Exception:
                logger.exception("periodic checkpoint failed")

    def close(self) -> None:
        """Stop the timer and, in 'dfk_exit', 'periodic' and 'task_exit' modes, write the rest.

        Closed only once it is done: a close cut short (Ctrl-C) is done again in full.
        """
        if self._closed:
            return
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
        self._closed = True

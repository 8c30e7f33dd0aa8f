"""The memoizer plugin interface: reusing results of identical earlier calls.

The interface is Parsl's (``Config(memoizer=...)``), so a memoizer written
for Parsl plugs in unchanged: :meth:`Memoizer.start`, :meth:`~Memoizer.check_memo`,
:meth:`~Memoizer.update_memo_result`, :meth:`~Memoizer.update_memo_exception`
and :meth:`~Memoizer.close`. Two methods are optional: :meth:`~Memoizer.checkpoint`
(what ``dfk.checkpoint()`` calls; by default there is nothing to write) and
:meth:`~Memoizer.update_memo`, the single-call form older Parsl releases
used, which hands a finished future to the two methods above.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from concurrent.futures import Future
from typing import Any

from parsl.dataflow.taskrecord import TaskRecord

CHECKPOINT_MODES = (None, "task_exit", "periodic", "dfk_exit", "manual")
"""The ``checkpoint_mode`` values (``Config`` and :class:`BasicMemoizer` accept exactly these)."""


class Memoizer(ABC):
    """Looks tasks up before they run and records them after they end.

    The DataFlowKernel calls :meth:`start` at load, :meth:`check_memo` before
    launching each task of an app with ``cache=True``,
    :meth:`update_memo_result` after such a task succeeds and
    :meth:`update_memo_exception` after it fails, :meth:`checkpoint` when the
    user asks (``dfk.checkpoint()``), and :meth:`close` at cleanup. When and
    where checkpoints are written is the memoizer's business.
    """

    @abstractmethod
    def start(self, *, run_dir: str, config_run_dir: str) -> None:
        """Get ready: ``run_dir`` is this run's directory, ``config_run_dir`` the Config's
        ``run_dir`` (the parent of every run's directory)."""

    @abstractmethod
    def check_memo(self, task: TaskRecord) -> Future[Any] | None:
        """Return a completed future with the remembered outcome, or None.

        Sets ``task.hashsum`` when the task is memoizable.
        """

    @abstractmethod
    def update_memo_result(self, task: TaskRecord, r: Any) -> None:
        """Remember a successful task's result."""

    @abstractmethod
    def update_memo_exception(self, task: TaskRecord, e: BaseException) -> None:
        """Remember (or ignore) a failed task's exception."""

    @abstractmethod
    def close(self) -> None:
        """Final checkpoint where configured; stop any timer. Bounded in time."""

    def checkpoint(self) -> str | None:
        """Write what is not yet checkpointed; return the checkpoint directory, if any.

        This default writes nothing and returns None: a memoizer without
        checkpoints.
        """
        return None

    def update_memo(self, task: TaskRecord, result: Any) -> None:
        """The single-call form: ``result`` is a value, or a finished future.

        A future that is not done, or was cancelled, records nothing.
        """
        if isinstance(result, Future):
            if not result.done() or result.cancelled():
                return
            exc = result.exception()
            if exc is not None:
                self.update_memo_exception(task, exc)
                return
            result = result.result()
        self.update_memo_result(task, result)

    def __enter__(self) -> Memoizer:
        return self

    def __exit__(self, *exc: Sequence[object]) -> None:
        self.close()

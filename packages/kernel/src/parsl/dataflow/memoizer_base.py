"""The memoizer plugin interface: reusing results of identical earlier calls."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from concurrent.futures import Future
from typing import Any

from parsl.dataflow.taskrecord import TaskRecord

CHECKPOINT_MODES = (None, "task_exit", "periodic", "dfk_exit", "manual")
"""The ``checkpoint_mode`` values (``Config`` and :class:`BasicMemoizer` accept exactly these)."""


class Memoizer(ABC):
    """Looks tasks up before they run and records them after they succeed.

    The DataFlowKernel calls :meth:`start` at load, :meth:`check_memo` before
    launching each task, :meth:`update_memo` after each task succeeds,
    :meth:`checkpoint` when the user asks (``dfk.checkpoint()``), and
    :meth:`close` at cleanup. When and where checkpoints are written
    (``task_exit``, ``periodic``, ``dfk_exit``, ``manual``) is the memoizer's
    business.
    """

    @abstractmethod
    def start(self, *, run_dir: str, app_cache: bool) -> None:
        """Load earlier checkpoints and get ready; ``app_cache=False`` disables lookups."""

    @abstractmethod
    def check_memo(self, task: TaskRecord) -> Future[Any] | None:
        """Return a completed future with the remembered result, or None.

        Sets ``task.hashsum`` when the task is memoizable.
        """

    @abstractmethod
    def update_memo(self, task: TaskRecord, result: Any) -> None:
        """Remember a successful task's result."""

    @abstractmethod
    def checkpoint(self) -> str | None:
        """Write the results not yet checkpointed; return the checkpoint directory, if any."""

    @abstractmethod
    def close(self) -> None:
        """Final checkpoint where configured; stop any timer. Bounded in time."""

    def __enter__(self) -> Memoizer:
        return self

    def __exit__(self, *exc: Sequence[object]) -> None:
        self.close()

"""The staging plugin interface: moving files in before a task and out after it."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from parsl.data_provider.files import File

if TYPE_CHECKING:
    from parsl.app.futures import DataFuture


class Staging:
    """Decides which files it handles and how to move them.

    A provider either wraps the app's function (``replace_task`` /
    ``replace_task_stage_out``: the transfer runs where the task runs, as part
    of the task) or runs the transfer as its own task (``stage_in`` /
    ``stage_out``, returning a future the app waits on). Return None from
    the method you do not use. The first provider in an executor's
    ``storage_access`` list that accepts a file handles it.
    """

    def can_stage_in(self, file: File) -> bool:
        """True if this provider can bring ``file`` in."""
        return False

    def can_stage_out(self, file: File) -> bool:
        """True if this provider can send ``file`` out."""
        return False

    def stage_in(self, dm: Any, executor: str, file: File, parent_fut: Any) -> DataFuture | None:
        """Start a separate stage-in; return a future for the staged file, or None."""
        return None

    def stage_out(self, dm: Any, executor: str, file: File, app_fu: Any) -> Any | None:
        """Start a separate stage-out after ``app_fu``; return its future, or None."""
        return None

    def replace_task(
        self, dm: Any, executor: str, file: File, func: Callable[..., Any]
    ) -> Callable[..., Any] | None:
        """Return ``func`` wrapped to stage ``file`` in first, or None."""
        return None

    def replace_task_stage_out(
        self, dm: Any, executor: str, file: File, func: Callable[..., Any]
    ) -> Callable[..., Any] | None:
        """Return ``func`` wrapped to stage ``file`` out afterwards, or None."""
        return None

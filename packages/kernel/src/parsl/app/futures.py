"""DataFuture: a future for one output file of an app."""

from __future__ import annotations

from concurrent.futures import Future
from typing import Any

from parsl.data_provider.files import File
from parsl.dataflow.lean_future import make_lean


class DataFuture(Future[File]):
    """Completes with its :class:`File` when the producing task succeeds, or with its exception."""

    def __init__(self, fut: Future[Any], file_obj: File, tid: int | None = None) -> None:
        super().__init__()
        make_lean(self)
        if not isinstance(file_obj, File):
            raise TypeError(f"DataFuture needs a File, not {type(file_obj).__name__}")
        self.parent = fut
        self.file_obj = file_obj
        self._tid = tid
        fut.add_done_callback(self._parent_done)

    def _parent_done(self, fut: Future[Any]) -> None:
        exc = fut.exception()
        if exc is not None:
            self.set_exception(exc)
        else:
            self.set_result(self.file_obj)

    @property
    def tid(self) -> int | None:
        """The id of the task that produces the file."""
        return self._tid

    @property
    def filepath(self) -> str:
        return self.file_obj.filepath

    @property
    def filename(self) -> str:
        return self.file_obj.filename

    def cancel(self) -> bool:
        return False

    def __repr__(self) -> str:
        return f"<DataFuture {self.file_obj.url!r} of task {self._tid} {self._state.lower()}>"

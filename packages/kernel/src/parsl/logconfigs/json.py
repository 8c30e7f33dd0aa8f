"""JSONLogging: one JSON object per log record, with the records' ``parsl.*`` attributes."""

from __future__ import annotations

import json
import logging
import pathlib
import threading
from collections.abc import Callable
from typing import Any

from parsl.log_utils import attach_handler
from parsl.logconfigs.base import LogConfig
from parsl.logconfigs.file import _lower_level


class JSONLogging(LogConfig):
    """Writes every record reaching the root logger to ``log_dir/<log_name>.jsonlog``.

    Each line is one JSON object: ``created``, ``process``, ``processName``,
    ``thread``, ``threadName``, ``name``, ``lineno``, ``funcname``,
    ``levelname``, ``msg`` (the unformatted message), ``formatted``, and every
    ``parsl.*`` attribute of the record (``parsl.task``, ``parsl.dfk``, ...)
    as text, so a run's log can be filtered per task with any JSON tool.

    Args:
        level: the lowest level written (default ``logging.DEBUG``).
    """

    def __init__(self, *, level: int = logging.DEBUG) -> None:
        super().__init__()
        if isinstance(level, bool) or not isinstance(level, int):
            raise TypeError(f"level must be a logging level such as logging.INFO, not {level!r}")
        self.level = level

    def initialize_logging(self, *, log_dir: pathlib.Path, log_name: str) -> Callable[[], None]:
        log_dir.mkdir(parents=True, exist_ok=True)
        handler = JSONHandler(log_dir / f"{log_name}.jsonlog")
        handler.setLevel(self.level)
        handler.setFormatter(logging.Formatter("%(message)s"))
        root = logging.getLogger()
        _lower_level(root, self.level)
        return attach_handler(handler, root)


class JSONHandler(logging.Handler):
    """Appends each record to ``filename`` as one line of JSON (flushed per record)."""

    def __init__(self, filename: pathlib.Path | str) -> None:
        super().__init__()
        self._file = open(filename, "a", encoding="utf-8")  # noqa: SIM115 - closed in close()
        self._write_lock = threading.Lock()

    def emit(self, record: logging.LogRecord) -> None:
        try:
            line = json.dumps(self.fields(record), default=str)
        except Exception:
            self.handleError(record)
            return
        with self._write_lock:
            if self._file.closed:
                return
            self._file.write(line + "\n")
            self._file.flush()

    def fields(self, record: logging.LogRecord) -> dict[str, Any]:
        """The JSON object written for ``record``."""
        out: dict[str, Any] = {
            "created": record.created,
            "process": record.process,
            "processName": record.processName,
            "thread": record.thread,
            "threadName": record.threadName,
            "name": record.name,
            "lineno": record.lineno,
            "funcname": record.funcName,
            "levelname": record.levelname,
            "msg": str(record.msg),
            "formatted": self.format(record),
        }
        for key, value in record.__dict__.items():
            if key.startswith("parsl."):
                try:
                    out[key] = str(value)
                except Exception as e:  # a value whose str() fails is shown, not dropped
                    out[key] = f"UNREPRESENTABLE: {e!r}"
        return out

    def close(self) -> None:
        with self._write_lock:
            self._file.close()
        super().close()

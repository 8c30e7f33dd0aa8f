"""FileLogging: Parsl's classic ``<name>.log`` files."""

from __future__ import annotations

import logging
import pathlib
from collections.abc import Callable

from parsl.log_utils import DEFAULT_FORMAT, attach_handler
from parsl.logconfigs.base import LogConfig


def _lower_level(logger: logging.Logger, level: int) -> None:
    """Let ``level`` records through ``logger`` without hiding any it already passes."""
    logger.setLevel(level if logger.level == logging.NOTSET else min(logger.level, level))


class FileLogging(LogConfig):
    """Writes the ``parsl`` loggers (and ``concurrent.futures``) to ``log_dir/<log_name>.log``.

    Args:
        format_string: the ``logging.Formatter`` format of each line.
        level: the lowest level written (default ``logging.DEBUG``).
    """

    def __init__(self, *, format_string: str = DEFAULT_FORMAT, level: int = logging.DEBUG) -> None:
        super().__init__()
        if not isinstance(format_string, str):
            raise TypeError(f"format_string must be a str, not {format_string!r}")
        if isinstance(level, bool) or not isinstance(level, int):
            raise TypeError(f"level must be a logging level such as logging.INFO, not {level!r}")
        self.format_string = format_string
        self.level = level

    def initialize_logging(self, *, log_dir: pathlib.Path, log_name: str) -> Callable[[], None]:
        log_dir.mkdir(parents=True, exist_ok=True)
        handler = logging.FileHandler(log_dir / f"{log_name}.log")
        handler.setLevel(self.level)
        handler.setFormatter(logging.Formatter(self.format_string, datefmt="%Y-%m-%d %H:%M:%S"))
        # concurrent.futures logs exceptions raised by done-callbacks, then drops them.
        loggers = [logging.getLogger("parsl"), logging.getLogger("concurrent.futures")]
        for lg in loggers:
            _lower_level(lg, self.level)
        return attach_handler(handler, *loggers)

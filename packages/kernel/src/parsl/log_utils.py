"""Logging helpers with Parsl's public names: ``set_stream_logger`` and ``set_file_logger``.

Both attach a handler to the named logger (``"parsl"`` by default) and also
to ``concurrent.futures``, whose logger reports exceptions raised inside
future callbacks, which would otherwise go unseen.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TextIO

DEFAULT_FORMAT = (
    "%(created)f %(asctime)s %(processName)s-%(process)d %(threadName)s-%(thread)d "
    "%(name)s:%(lineno)d %(funcName)s %(levelname)s: %(message)s"
)

__all__ = ["DEFAULT_FORMAT", "set_file_logger", "set_stream_logger"]


def _check(name: str, level: int) -> None:
    if not isinstance(name, str):
        raise TypeError(f"name={name!r} is not valid: expected a logger name (str)")
    if isinstance(level, bool) or not isinstance(level, int):
        raise TypeError(
            f"level={level!r} is not valid: expected a logging level such as logging.INFO"
        )


def attach_handler(handler: logging.Handler, *loggers: logging.Logger) -> Callable[[], None]:
    """Add ``handler`` to each of ``loggers``; return a function that removes and closes it."""
    for logger in loggers:
        logger.addHandler(handler)

    def detach() -> None:
        for logger in loggers:
            logger.removeHandler(handler)
        handler.close()

    return detach


def _attach(
    handler: logging.Handler, name: str, level: int, format_string: str | None
) -> Callable[[], None]:
    handler.setLevel(level)
    handler.setFormatter(logging.Formatter(format_string or DEFAULT_FORMAT))
    logging.getLogger(name).setLevel(level)
    return attach_handler(handler, logging.getLogger(name), logging.getLogger("concurrent.futures"))


def set_stream_logger(
    name: str = "parsl",
    level: int = logging.DEBUG,
    format_string: str | None = None,
    stream: TextIO | None = None,
) -> Callable[[], None]:
    """Send ``name``'s log records at ``level`` and above to ``stream`` (stderr by default).

    Returns a function that removes the handler again, as Parsl's does.
    """
    _check(name, level)
    return _attach(logging.StreamHandler(stream), name, level, format_string)


def set_file_logger(
    filename: str,
    name: str = "parsl",
    level: int = logging.DEBUG,
    format_string: str | None = None,
) -> Callable[[], None]:
    """Append ``name``'s log records at ``level`` and above to ``filename``.

    Returns a function that removes the handler and closes the file, as Parsl's does.
    """
    _check(name, level)
    return _attach(logging.FileHandler(filename), name, level, format_string)

"""Logging helpers with Parsl's public names."""

from __future__ import annotations

import logging

DEFAULT_FORMAT = "%(asctime)s %(name)s:%(lineno)d [%(levelname)s] %(message)s"


def set_stream_logger(
    name: str = "parsl", level: int = logging.DEBUG, format_string: str | None = None
) -> logging.Logger:
    """Send ``name``'s log records to stderr at ``level``."""
    logger = logging.getLogger(name)
    logger.setLevel(level)
    handler = logging.StreamHandler()
    handler.setLevel(level)
    handler.setFormatter(logging.Formatter(format_string or DEFAULT_FORMAT))
    logger.addHandler(handler)
    return logger


def set_file_logger(
    filename: str, name: str = "parsl", level: int = logging.DEBUG, format_string: str | None = None
) -> logging.Logger:
    """Send ``name``'s log records to ``filename`` at ``level``."""
    logger = logging.getLogger(name)
    logger.setLevel(level)
    handler = logging.FileHandler(filename)
    handler.setLevel(level)
    handler.setFormatter(logging.Formatter(format_string or DEFAULT_FORMAT))
    logger.addHandler(handler)
    return logger

"""NoopLogging: set nothing up (benchmarks, or logging configured by the application)."""

from __future__ import annotations

import pathlib
from collections.abc import Callable

from parsl.logconfigs.base import LogConfig


class NoopLogging(LogConfig):
    """A log configuration that configures no logging at all."""

    def initialize_logging(self, *, log_dir: pathlib.Path, log_name: str) -> Callable[[], None]:
        return lambda: None

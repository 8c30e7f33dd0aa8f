"""The typed boundary to ``ndcctools.work_queue`` (which has no type hints): everything else imports from here."""

from __future__ import annotations

import importlib
from typing import Any

from parsl.executors.cctools.errors import CctoolsNotInstalled

__all__ = ["DEFAULT_PORT", "load_work_queue"]

DEFAULT_PORT = 9123
"""Work Queue's default manager port (``WORK_QUEUE_DEFAULT_PORT``)."""


def load_work_queue() -> Any:
    """The ``ndcctools.work_queue`` module, or :class:`CctoolsNotInstalled` saying how to get it."""
    try:
        return importlib.import_module("ndcctools.work_queue")
    except ImportError as e:
        raise CctoolsNotInstalled(
            "WorkQueueExecutor needs cctools' Python module ndcctools.work_queue, which is not "
            f"importable ({e}); install it with 'conda install -c conda-forge ndcctools'"
        ) from e

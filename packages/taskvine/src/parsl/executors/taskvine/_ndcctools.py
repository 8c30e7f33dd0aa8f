"""The typed boundary to ``ndcctools.taskvine`` (which has no type hints): everything else imports from here."""

from __future__ import annotations

import importlib
from typing import Any

from parsl.executors.cctools.errors import CctoolsNotInstalled

__all__ = ["DEFAULT_PORT", "load_taskvine"]

DEFAULT_PORT = 9123
"""TaskVine's default manager port (``VINE_DEFAULT_PORT``)."""


def load_taskvine() -> Any:
    """The ``ndcctools.taskvine`` module, or :class:`CctoolsNotInstalled` saying how to get it."""
    try:
        return importlib.import_module("ndcctools.taskvine")
    except ImportError as e:
        raise CctoolsNotInstalled(
            "TaskVineExecutor needs cctools' Python module ndcctools.taskvine, which is not "
            f"importable ({e}); install it with 'conda install -c conda-forge ndcctools'"
        ) from e

"""Task functions for the MPI-mode tests, importable by worker processes."""

from __future__ import annotations

import os
import time
from typing import Any


def mpi_env(delay: float = 0.0) -> dict[str, Any]:
    """When the task ran and the PARSL_ variables it saw (after ``delay`` s)."""
    started = time.time()
    time.sleep(delay)
    env = {k: v for k, v in os.environ.items() if k.startswith("PARSL_")}
    return {"start": started, "end": time.time(), "env": env}

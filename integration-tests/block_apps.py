"""Apps and a poller shared by the executor-on-a-scheduler tests (Slurm, Grid Engine, Kubernetes).

Each app reports one environment variable of wherever it ran (``SLURM_JOB_ID``,
``JOB_ID``, ``PARSL_POD_NAME``), which is how a test knows which block ran it.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from parsl import python_app


def wait_until(condition: Callable[[], bool], timeout: float = 60) -> None:
    """Poll ``condition`` every 0.2 s; fail the test if it is not true within ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not reached in time"
        time.sleep(0.2)


@python_app
def env_of(name: str) -> str:
    """The task's value of ``name`` ("none" if unset)."""
    import os

    return os.environ.get(name, "none")


@python_app
def nap_then_env_of(name: str, seconds: float) -> str:
    """Sleep, then the task's value of ``name``."""
    import os
    import time

    time.sleep(seconds)
    return os.environ.get(name, "none")


@python_app
def mark_then_sleep(name: str, marker: str, seconds: float) -> str:
    """Append the task's ``name`` to ``marker`` (proof it started), sleep, return it."""
    import os
    import time

    value = os.environ.get(name, "none")
    with open(marker, "a") as f:
        f.write(value + "\n")
    time.sleep(seconds)
    return value

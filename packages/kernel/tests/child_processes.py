"""Checks on this process's children for the kernel's tests.

A module of its own rather than conftest.py: tests/monitoring_remote has a
conftest.py too, so ``from conftest import ...`` would find whichever pytest
loaded last.
"""

from __future__ import annotations

import os


def reaped(pid: int) -> bool:
    """True when ``pid`` is no longer a child of this process, running or zombie: it was reaped."""
    try:
        os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        return True
    return False

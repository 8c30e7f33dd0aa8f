"""Which falcon processes the test process has left running (there should be none)."""

from __future__ import annotations

import psutil


def falcon_children() -> list[str]:
    """Command lines of this test process's descendants that run falcon."""
    found = []
    for child in psutil.Process().children(recursive=True):
        try:
            cmd = " ".join(child.cmdline())
        except psutil.Error:
            continue
        if " receiver " in cmd or " sender " in cmd:
            found.append(cmd)
    return found

"""Run directories: ``runinfo/000``, ``runinfo/001``, ... one per ``parsl.load()``."""

from __future__ import annotations

import os


def make_rundir(base: str) -> str:
    """Create and return the next numbered run directory under ``base``.

    Safe against concurrent callers: the number is claimed by ``mkdir``,
    which fails if another process took it first.
    """
    os.makedirs(base, exist_ok=True)
    while True:
        numbers = [int(d) for d in os.listdir(base) if d.isdigit()]
        path = os.path.join(base, f"{(max(numbers) + 1 if numbers else 0):03d}")
        try:
            os.mkdir(path)
        except FileExistsError:
            continue
        return os.path.abspath(path)

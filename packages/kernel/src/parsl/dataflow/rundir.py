"""Run directories: ``runinfo/000``, ``runinfo/001``, ... one per ``parsl.load()``."""

from __future__ import annotations

import os

from parsl.errors import bad_value


def make_rundir(path: str) -> str:
    """Create and return the next numbered run directory under ``path``.

    Safe against concurrent callers: the number is claimed by ``mkdir``,
    which fails if another process took it first.
    """
    if os.path.exists(path) and not os.path.isdir(path):
        raise bad_value("run_dir", path, "a directory (a file of that name exists)")
    try:
        os.makedirs(path, exist_ok=True)
    except OSError as e:
        raise bad_value("run_dir", path, f"a directory that can be created ({e.strerror})") from e
    while True:
        numbers = [int(d) for d in os.listdir(path) if d.isdigit()]
        run = os.path.join(path, f"{(max(numbers) + 1 if numbers else 0):03d}")
        try:
            os.mkdir(run)
        except FileExistsError:
            continue
        return os.path.abspath(run)

"""Run directories: ``runinfo/000``, ``runinfo/001``, ... one per ``parsl.load()``."""

from __future__ import annotations

import os

from parsl.errors import bad_value


def make_rundir(base: str) -> str:
    """Create and return the next numbered run directory under ``base``.

    Safe against concurrent callers: the number is claimed by ``mkdir``,
    which fails if another process took it first.
    """
    if os.path.exists(base) and not os.path.isdir(base):
        raise bad_value("run_dir", base, "a directory (a file of that name exists)")
    try:
        os.makedirs(base, exist_ok=True)
    except OSError as e:
        raise bad_value("run_dir", base, f"a directory that can be created ({e.strerror})") from e
    while True:
        numbers = [int(d) for d in os.listdir(base) if d.isdigit()]
        path = os.path.join(base, f"{(max(numbers) + 1 if numbers else 0):03d}")
        try:
            os.mkdir(path)
        except FileExistsError:
            continue
        return os.path.abspath(path)

"""Walltime strings, as batch schedulers and Parsl's providers write them."""

from __future__ import annotations

import re

from parsl.errors import bad_value

_WALLTIME = re.compile(r"^(?:(?P<d>\d+)-)?(?:(?:(?P<h>\d+):)?(?P<m>\d+):)?(?P<s>\d+)$")


def walltime_to_seconds(walltime: str) -> int:
    """``"HH:MM:SS"``, ``"MM:SS"``, ``"SS"`` or ``"D-HH:MM:SS"`` in seconds."""
    m = _WALLTIME.match(walltime.strip()) if isinstance(walltime, str) else None
    if m is None:
        raise bad_value("walltime", walltime, 'a duration such as "01:30:00" or "1-00:00:00"')
    d, h, mi, s = (int(m.group(k) or 0) for k in ("d", "h", "m", "s"))
    return ((d * 24 + h) * 60 + mi) * 60 + s


def drain_before_walltime(walltime_s: float) -> float:
    """When a block with this walltime should stop taking new tasks, in seconds after it starts.

    A tenth of the walltime before the end, at least a minute, but never
    earlier than half-way (short test jobs still get work).
    """
    margin = min(max(60.0, 0.1 * walltime_s), 0.5 * walltime_s)
    return walltime_s - margin

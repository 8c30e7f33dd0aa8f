"""Walltime strings, as batch schedulers and Parsl's providers write them: the one parser.

Every package reads walltimes (a provider's ``walltime``, htex's drain
point, Kubernetes' ``walltime_limit``, the memoizer's ``checkpoint_period``,
:func:`parsl.utils.wtime_to_minutes`) with :func:`walltime_to_seconds`, so
they all accept the same forms: ``"HH:MM:SS"``, ``"D-HH:MM:SS"``,
``"MM:SS"`` and ``"SS"``. The leading field may have any number of
digits; minutes and seconds after it are two digits from 00 to 59.
"""

from __future__ import annotations

import re

from parsl.errors import ConfigurationError

HH_MM_SS = re.compile(r"^(\d+):([0-5]\d):([0-5]\d)$")
"""Exactly ``HH:MM:SS`` (hours may exceed 99): the form scheduler directives are written in."""

_WALLTIME = re.compile(
    r"^(?:(?P<d>\d+)-(?P<dh>\d+):(?P<dm>[0-5]\d):(?P<ds>[0-5]\d)"
    r"|(?P<h>\d+):(?P<hm>[0-5]\d):(?P<hs>[0-5]\d)"
    r"|(?P<m>\d+):(?P<ms>[0-5]\d)"
    r"|(?P<s>\d+))$"
)

_FORMS = '"HH:MM:SS" (or "D-HH:MM:SS", "MM:SS", "SS"), e.g. "01:30:00"'


class WalltimeError(ConfigurationError, ValueError):
    """A walltime string is not in a form :func:`walltime_to_seconds` reads; also a ValueError."""


def walltime_to_seconds(walltime: str, field: str = "walltime") -> int:
    """The seconds in a walltime string; :class:`WalltimeError` naming ``field`` if it is not one."""
    m = _WALLTIME.match(walltime.strip()) if isinstance(walltime, str) else None
    if m is None:
        raise WalltimeError(
            f"{field}={walltime!r} is not valid: expected a duration {_FORMS}",
            field=field,
            value=walltime,
        )
    g = {k: int(v) for k, v in m.groupdict().items() if v is not None}
    days, hours = g.get("d", 0), g.get("dh", g.get("h", 0))
    minutes = g.get("dm", g.get("hm", g.get("m", 0)))
    seconds = g.get("ds", g.get("hs", g.get("ms", g.get("s", 0))))
    return ((days * 24 + hours) * 60 + minutes) * 60 + seconds


def seconds_to_walltime(seconds: int) -> str:
    """Format seconds as an ``HH:MM:SS`` walltime (hours may exceed 99)."""
    if seconds < 0:
        raise WalltimeError(
            f"seconds={seconds!r} is not valid: a walltime cannot be negative",
            field="seconds",
            value=seconds,
        )
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours:02d}:{minutes:02d}:{secs:02d}"


def drain_before_walltime(walltime_s: float) -> float:
    """When a block with this walltime should stop taking new tasks, in seconds after it starts.

    A tenth of the walltime before the end, at least a minute, but never
    earlier than half-way (short test jobs still get work).
    """
    margin = min(max(60.0, 0.1 * walltime_s), 0.5 * walltime_s)
    return walltime_s - margin

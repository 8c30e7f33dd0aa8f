"""The ``Config(usage_tracking=...)`` levels, as Parsl's configurations import them.

``from parsl.usage_tracking.levels import LEVEL_1`` appears in Parsl's
ready-made configurations and in configurations copied from them. Any level
is accepted; none sends anything (see :mod:`parsl.usage_tracking`).
"""

from __future__ import annotations

__all__ = ["DISABLED", "LEVEL_1", "LEVEL_2", "LEVEL_3"]

DISABLED = 0
LEVEL_1 = 1
LEVEL_2 = 2
LEVEL_3 = 3

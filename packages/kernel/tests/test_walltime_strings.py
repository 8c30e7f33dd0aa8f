"""Walltime strings and the drain point before a block's end."""

from __future__ import annotations

import pytest

from parsl.errors import ConfigurationError
from parsl.jobs.walltime import drain_before_walltime, walltime_to_seconds


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("00:10:00", 600), ("1:00:00", 3600), ("05:30", 330), ("45", 45), ("2-01:00:00", 176400)],
)
def test_walltime_to_seconds(text: str, seconds: int) -> None:
    assert walltime_to_seconds(text) == seconds


@pytest.mark.parametrize("bad", ["", "1:2:3:4", "ten minutes", "-5", 600])
def test_bad_walltime(bad: object) -> None:
    with pytest.raises(ConfigurationError, match="walltime"):
        walltime_to_seconds(bad)  # type: ignore[arg-type]


def test_drain_point() -> None:
    assert drain_before_walltime(3600) == 3600 - 360  # a tenth before the end
    assert drain_before_walltime(300) == 240  # but at least a minute
    assert drain_before_walltime(60) == 30  # never before half-way

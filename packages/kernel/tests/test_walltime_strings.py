"""Walltime strings (the one parser every package uses) and the drain point before a block's end."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from parsl.errors import ConfigurationError
from parsl.jobs.walltime import (
    HH_MM_SS,
    WalltimeError,
    drain_before_walltime,
    seconds_to_walltime,
    walltime_to_seconds,
)


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("00:10:00", 600),
        ("1:00:00", 3600),
        ("120:00:00", 432000),
        ("05:30", 330),
        ("90:00", 5400),
        ("45", 45),
        ("2-01:00:00", 176400),
        (" 00:00:30 ", 30),
    ],
)
def test_walltime_to_seconds(text: str, seconds: int) -> None:
    assert walltime_to_seconds(text) == seconds


@pytest.mark.parametrize(
    "bad", ["", "1:2:3:4", "ten minutes", "-5", "00:60:00", "00:00:61", "1:2:3", "1-2", 600]
)
def test_bad_walltime_names_the_field_and_the_forms(bad: object) -> None:
    with pytest.raises(WalltimeError, match=r"period=.*HH:MM:SS") as info:
        walltime_to_seconds(bad, field="period")  # type: ignore[arg-type]
    assert info.value.field == "period"
    assert isinstance(info.value, ConfigurationError) and isinstance(info.value, ValueError)


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(0, "00:00:00"), (600, "00:10:00"), (5405, "01:30:05"), (432000, "120:00:00")],
)
def test_seconds_to_walltime(seconds: int, text: str) -> None:
    assert seconds_to_walltime(seconds) == text
    assert HH_MM_SS.match(text)


def test_negative_seconds_are_rejected() -> None:
    with pytest.raises(ValueError, match="negative"):
        seconds_to_walltime(-1)


@given(st.integers(min_value=0, max_value=10**7))
def test_walltime_round_trips(seconds: int) -> None:
    assert walltime_to_seconds(seconds_to_walltime(seconds)) == seconds


def test_drain_point() -> None:
    assert drain_before_walltime(3600) == 3600 - 360  # a tenth before the end
    assert drain_before_walltime(300) == 240  # but at least a minute
    assert drain_before_walltime(60) == 30  # never before half-way

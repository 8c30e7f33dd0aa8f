"""The argument checks every package shares: what each accepts, and the error it gives otherwise."""

from __future__ import annotations

from typing import Any

import pytest

from parsl.argument_checks import check_bool, check_int, check_text
from parsl.errors import ConfigurationError


def test_check_int() -> None:
    assert check_int("n", 3, 1) == 3
    assert check_int("n", 0, 0) == 0
    for bad in (0, -1, True, 2.0, "2", None):
        with pytest.raises(ConfigurationError, match=r"n=.* is not valid: expected an int >= 1"):
            check_int("n", bad, 1)


def test_check_bool() -> None:
    assert check_bool("debug", True) is True and check_bool("debug", False) is False
    for bad in (1, 0, "yes", None):
        with pytest.raises(ConfigurationError, match="expected True or False") as info:
            check_bool("debug", bad)
        assert info.value.field == "debug" and info.value.value == bad


@pytest.mark.parametrize("value", ["", "  ", "srun\n--exclusive"])
def test_check_text_accepts_any_string_by_default(value: str) -> None:
    assert check_text("overrides", value) == value


@pytest.mark.parametrize("bad", [None, 3, b"bytes"])
def test_check_text_rejects_what_is_not_a_string(bad: Any) -> None:
    with pytest.raises(ConfigurationError, match="expected a string"):
        check_text("overrides", bad)


def test_check_text_can_require_a_non_blank_string() -> None:
    assert check_text("prepend", "time", allow_empty=False) == "time"
    for bad in ("", "   ", None):
        with pytest.raises(ConfigurationError, match="expected a non-empty string"):
            check_text("prepend", bad, allow_empty=False)

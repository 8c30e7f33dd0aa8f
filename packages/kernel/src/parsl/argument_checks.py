"""Constructor-argument checks every package uses; each failure is a ConfigurationError naming the field.

One definition of each check, so that an executor, a provider and a
launcher accept the same values for the same kind of argument and word the
error the same way (``field=value is not valid: expected ...``).
"""

from __future__ import annotations

import math
from typing import Any

from parsl.errors import bad_value


def check_int(field: str, value: Any, minimum: int) -> int:
    """Return ``value`` if it is an int (not a bool) of at least ``minimum``."""
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise bad_value(field, value, f"an int >= {minimum}")
    return value


def check_bool(field: str, value: Any) -> bool:
    """Return ``value`` if it is True or False."""
    if not isinstance(value, bool):
        raise bad_value(field, value, "True or False")
    return value


def check_text(field: str, value: Any, *, allow_empty: bool = True) -> str:
    """Return ``value`` if it is a string (which may span lines); non-blank unless ``allow_empty``."""
    if not isinstance(value, str) or (not allow_empty and not value.strip()):
        raise bad_value(field, value, "a string" if allow_empty else "a non-empty string")
    return value


def check_positive(field: str, value: Any, *, allow_zero: bool = False) -> float:
    """Return ``value`` as a float if it is a finite number > 0 (>= 0 with ``allow_zero``)."""
    number = isinstance(value, int | float) and not isinstance(value, bool)
    if not (number and math.isfinite(value) and (value > 0 or (allow_zero and value == 0))):
        raise bad_value(field, value, "a number >= 0" if allow_zero else "a number > 0")
    return float(value)

"""Constructor-argument checks shared by the cluster providers; each raises ConfigurationError."""

from __future__ import annotations

import re
from typing import Any

from parsl.argument_checks import check_int
from parsl.errors import bad_value
from parsl.jobs.walltime import HH_MM_SS

_JOB_ID = re.compile(r"^[A-Za-z0-9._\-\[\]@:+]+$")


def check_optional_int(field: str, value: Any, minimum: int) -> int | None:
    """Like :func:`check_int`, but None is allowed and returned."""
    return None if value is None else check_int(field, value, minimum)


def check_positive_number(field: str, value: Any) -> float | int | None:
    """Return None or a number greater than zero."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not value > 0:
        raise bad_value(field, value, "None or a number greater than 0")
    return value


def check_fraction(field: str, value: Any) -> float:
    """Return a number from 0 to 1 as a float."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1:
        raise bad_value(field, value, "a number from 0 to 1")
    return float(value)


def check_directive_value(field: str, value: Any) -> str | None:
    """Return None or a one-line, non-empty string fit for a scheduler directive."""
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip() or "\n" in value or "\r" in value:
        raise bad_value(field, value, "None or a non-empty string on one line")
    return value


def set_block_scaling(
    provider: Any,
    nodes_per_block: Any,
    init_blocks: Any,
    min_blocks: Any,
    max_blocks: Any,
    parallelism: Any,
) -> None:
    """Check the block shape and scaling settings every provider takes, and set them on ``provider``."""
    provider.nodes_per_block = check_int("nodes_per_block", nodes_per_block, 1)
    provider.init_blocks = check_int("init_blocks", init_blocks, 0)
    provider.min_blocks = check_int("min_blocks", min_blocks, 0)
    provider.max_blocks = check_int("max_blocks", max_blocks, 0)
    if provider.min_blocks > provider.max_blocks:
        raise bad_value("min_blocks", min_blocks, f"at most max_blocks={max_blocks}")
    provider.parallelism = check_fraction("parallelism", parallelism)


def check_walltime(value: Any) -> str:
    """Return a walltime in ``HH:MM:SS`` form, e.g. ``"01:30:00"``."""
    if not isinstance(value, str) or HH_MM_SS.match(value) is None:
        raise bad_value("walltime", value, 'a string "HH:MM:SS" such as "00:10:00"')
    return value


def check_regex_with_id(field: str, value: Any) -> re.Pattern[str]:
    """Compile a regular expression that has a named group ``id``."""
    if not isinstance(value, str):
        raise bad_value(field, value, "a regular expression string with a group (?P<id>...)")
    try:
        pattern = re.compile(value)
    except re.error as e:
        raise bad_value(field, value, f"a valid regular expression ({e})") from None
    if "id" not in pattern.groupindex:
        raise bad_value(field, value, "a regular expression with a named group (?P<id>...)")
    return pattern


def is_plausible_job_id(value: str) -> bool:
    """True for an id made of the characters batch schedulers use in job ids."""
    return bool(_JOB_ID.match(value))

"""``parsl_resource_specification`` for Work Queue and TaskVine: checked once, as a pure function.

Keys (all optional):

``cores`` (int >= 1), ``memory`` and ``disk`` (MB, int >= 1), ``gpus`` (int >= 0)
    The allocation the task asks for; with the manager's monitoring on, a task
    that goes over ``memory`` or ``disk`` is stopped and fails with
    :class:`~parsl.executors.cctools.errors.ResourceExhausted`.
``running_time_min`` (seconds, > 0)
    The least time a worker must still have left to be given the task.
``priority`` (number)
    Higher runs first among waiting tasks.
``category`` (str)
    The manager's category; tasks of one category share automatic labelling.
    Without it, a task's category is its function's name when ``autocategory``
    is on, else ``"parsl-default"``.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from parsl.executors.errors import InvalidResourceSpecification

__all__ = ["ALLOCATION_KEYS", "KNOWN_KEYS", "TaskResources", "parse_resource_specification"]

ALLOCATION_KEYS = frozenset({"cores", "memory", "disk"})
KNOWN_KEYS = frozenset(
    {"cores", "memory", "disk", "gpus", "running_time_min", "priority", "category"}
)
DEFAULT_CATEGORY = "parsl-default"


@dataclass(frozen=True, slots=True)
class TaskResources:
    """What one task asks of the manager (None: not asked, the manager decides)."""

    cores: int | None = None
    memory: int | None = None
    disk: int | None = None
    gpus: int | None = None
    running_time_min: float | None = None
    priority: float | None = None
    category: str = DEFAULT_CATEGORY

    @property
    def has_allocation(self) -> bool:
        """True when the task names any of cores, memory, disk or gpus."""
        return any(v is not None for v in (self.cores, self.memory, self.disk, self.gpus))


def _int(key: str, value: Any, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise InvalidResourceSpecification(
            [key], f"{key}={value!r} is not valid: expected an integer >= {minimum}"
        )
    return value


def _number(key: str, value: Any, *, positive: bool) -> float:
    ok = isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
    if not ok or (positive and value <= 0):
        expected = "a number > 0" if positive else "a finite number"
        raise InvalidResourceSpecification(
            [key], f"{key}={value!r} is not valid: expected {expected}"
        )
    return float(value)


def parse_resource_specification(
    spec: Mapping[str, Any] | None,
    *,
    executor: str,
    function_name: str,
    autocategory: bool,
    require_all_or_none: bool = False,
    extra_keys: Iterable[str] = (),
) -> TaskResources:
    """Check ``spec`` and return the task's :class:`TaskResources`.

    ``require_all_or_none`` (Work Queue without ``autolabel``): cores, memory
    and disk must be given together or not at all, because a worker runs a
    task that names only some of them with all of its remaining resources.
    ``extra_keys`` are accepted and ignored here (the executor reads them).
    Raises :class:`~parsl.executors.errors.InvalidResourceSpecification`.
    """
    spec = dict(spec or {})
    if not isinstance(spec, dict):  # pragma: no cover - dict() above guarantees it
        raise InvalidResourceSpecification([], "expected a dict")
    allowed = KNOWN_KEYS | set(extra_keys)
    unknown = set(spec) - allowed
    if unknown:
        raise InvalidResourceSpecification(
            unknown,
            f"executor {executor!r} accepts only {', '.join(sorted(allowed))}",
        )
    given = ALLOCATION_KEYS & set(spec)
    if require_all_or_none and given and given != ALLOCATION_KEYS:
        missing = sorted(ALLOCATION_KEYS - given)
        raise InvalidResourceSpecification(
            missing,
            f"executor {executor!r} needs cores, memory and disk together (or none of them) "
            f"unless autolabel=True; add {', '.join(missing)}",
        )
    category = spec.get("category")
    if category is not None and (not isinstance(category, str) or not category.strip()):
        raise InvalidResourceSpecification(
            ["category"], f"category={category!r} is not valid: expected a non-empty string"
        )
    if category is None:
        category = function_name if autocategory else DEFAULT_CATEGORY
    return TaskResources(
        cores=_int("cores", spec["cores"], 1) if "cores" in spec else None,
        memory=_int("memory", spec["memory"], 1) if "memory" in spec else None,
        disk=_int("disk", spec["disk"], 1) if "disk" in spec else None,
        gpus=_int("gpus", spec["gpus"], 0) if "gpus" in spec else None,
        running_time_min=(
            _number("running_time_min", spec["running_time_min"], positive=True)
            if "running_time_min" in spec
            else None
        ),
        priority=(
            _number("priority", spec["priority"], positive=False) if "priority" in spec else None
        ),
        category=category,
    )

"""``parsl_resource_specification`` for RADICAL-Pilot tasks: a pure mapping onto TaskDescription fields.

Keys are RADICAL-Pilot's own ``TaskDescription`` fields (``ranks``,
``cores_per_rank``, ``gpus_per_rank``, ``gpu_type``, ``mem_per_rank`` (MB),
``lfs_per_rank`` (MB), ``threading_type``, ``gpu_type``) or Parsl's names for
three of them: ``cores`` (ranks), ``memory`` (mem_per_rank) and ``disk``
(lfs_per_rank), as Parsl's RadicalPilotExecutor maps them. ``priority`` is
accepted and ignored. Anything else is an
:class:`~parsl.executors.errors.InvalidResourceSpecification`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from parsl.executors.errors import InvalidResourceSpecification

__all__ = ["PARSL_NAMES", "RP_FIELDS", "task_fields"]

PARSL_NAMES = {"cores": "ranks", "memory": "mem_per_rank", "disk": "lfs_per_rank"}
_INT_FIELDS = {
    "ranks": 1,
    "cores_per_rank": 1,
    "gpus_per_rank": 0,
    "mem_per_rank": 0,
    "lfs_per_rank": 0,
}
_TEXT_FIELDS = {"gpu_type", "threading_type"}
RP_FIELDS = frozenset(_INT_FIELDS) | _TEXT_FIELDS
IGNORED = frozenset({"priority"})


def task_fields(spec: Mapping[str, Any] | None) -> dict[str, Any]:
    """The TaskDescription fields one task's specification sets."""
    out: dict[str, Any] = {}
    for key, raw in (spec or {}).items():
        value = raw
        if key in IGNORED:
            continue
        field = PARSL_NAMES.get(key, key)
        if field in _INT_FIELDS:
            low = _INT_FIELDS[field]
            if isinstance(value, bool) or not isinstance(value, int | float) or value < low:
                raise InvalidResourceSpecification(
                    [key], f"{key}={value!r} is not valid: expected a number >= {low}"
                )
            if field in ("ranks", "cores_per_rank") and value != int(value):
                raise InvalidResourceSpecification(
                    [key], f"{key}={value!r} is not valid: expected a whole number"
                )
            value = int(value) if field != "gpus_per_rank" else value
        elif field in _TEXT_FIELDS:
            if not isinstance(value, str):
                raise InvalidResourceSpecification(
                    [key], f"{key}={value!r} is not valid: expected a string"
                )
        else:
            known = sorted(RP_FIELDS | set(PARSL_NAMES) | IGNORED)
            raise InvalidResourceSpecification(
                [key], f"RadicalPilotExecutor does not know {key!r}; known keys: {', '.join(known)}"
            )
        if field in out and out[field] != value:
            raise InvalidResourceSpecification(
                [key], f"{key!r} and another key both set {field!r} to different values"
            )
        out[field] = value
    return out

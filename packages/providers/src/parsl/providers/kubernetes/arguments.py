"""KubernetesProvider's constructor-argument checks; each raises ConfigurationError naming the field."""

from __future__ import annotations

from typing import Any

from parsl.errors import bad_value
from parsl.providers.kubernetes.pods import quantity_value


def check_request_within_limit(field: str, request: str, limit: str) -> None:
    """A container's request (``init_cpu``, ``init_mem``) may not exceed its limit."""
    if quantity_value(request) > quantity_value(limit):
        raise bad_value(
            field,
            request,
            f"at most the limit {limit} (Kubernetes refuses requests above limits)",
        )


def check_id(field: str, value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool) or not str(value).isdigit():
        raise bad_value(field, value, "None or a numeric id such as 1000")
    return str(value)


def check_volumes(value: Any) -> tuple[tuple[str, str], ...]:
    expected = "a list of (claim name, mount path) pairs, e.g. [('my-claim', '/data')]"
    if value is None:
        return ()
    if not isinstance(value, list | tuple):
        raise bad_value("persistent_volumes", value, expected)
    pairs = []
    for item in value:
        if (
            not isinstance(item, list | tuple)
            or len(item) != 2
            or not all(isinstance(x, str) and x for x in item)
            or not item[1].startswith("/")
        ):
            raise bad_value("persistent_volumes", value, expected)
        pairs.append((item[0], item[1]))
    return tuple(pairs)


def check_annotations(value: Any) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in value.items()
    ):
        raise bad_value("annotations", value, "None or a dict of string keys to string values")
    return dict(value)


def check_extra_resources(field: str, value: Any) -> dict[str, str]:
    """None or a dict of resource names to quantity strings (``{"nvidia.com/gpu": "1"}``)."""
    if value is None:
        return {}
    if not isinstance(value, dict) or not all(
        isinstance(k, str) and k.strip() and isinstance(v, str) and v.strip()
        for k, v in value.items()
    ):
        raise bad_value(
            field,
            value,
            'None or a dict of resource names to quantities, e.g. {"nvidia.com/gpu": "1"}',
        )
    clash = {"cpu", "memory"} & set(value)
    if clash:
        raise bad_value(
            field,
            value,
            f"other resources than {sorted(clash)} (set those with init_/max_cpu, _mem)",
        )
    return dict(value)

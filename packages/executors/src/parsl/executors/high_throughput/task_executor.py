"""Parsl's ``task_executor`` context for ``submit_payload``: a named function runs the raw buffer.

``htex.submit_payload({"task_executor": {"f": "pkg.mod.func", "a": args, "k":
kwargs}}, buffer)`` runs ``pkg.mod.func(buffer, *args, **kwargs)`` on a worker,
imported there by name, and the task's result is what it returns (a function
serving endpoint, for instance, passes its own task message and an executing
function that understands it, instead of a Parsl call).

How it travels: the executor packs the ordinary call
``call_named("pkg.mod.func", buffer, *args, **kwargs)`` (:func:`call_named`
is a module-level function, so it is serialized by reference and cached by
the executor's :class:`~.call_packing.CallPacker`). The wire protocol, the
interchange, the manager and the worker see a normal task; nothing on the
ordinary task path changes or costs more.
"""

from __future__ import annotations

import importlib
from typing import Any

from parsl.executors.high_throughput.errors import InvalidTaskContext

_KEYS = frozenset({"f", "a", "k"})


def check_task_executor(spec: Any) -> tuple[str, tuple[Any, ...], dict[str, Any]]:
    """The function name, positional and keyword arguments of a ``task_executor`` context.

    Raises :class:`~.errors.InvalidTaskContext` naming what is wrong:
    ``spec`` must be a dict with ``f`` (a dotted ``module.function`` name)
    and optionally ``a`` (a tuple or list) and ``k`` (a dict with string keys).
    """
    if not isinstance(spec, dict):
        raise InvalidTaskContext(
            f"context['task_executor']={spec!r} is not valid: expected a dict with 'f' "
            "(the dotted name of a function), and optionally 'a' (args) and 'k' (kwargs)"
        )
    unknown = set(spec) - _KEYS
    if unknown:
        raise InvalidTaskContext(
            f"context['task_executor'] has unknown keys {sorted(map(str, unknown))}: "
            "expected only 'f', 'a' and 'k'"
        )
    name = spec.get("f")
    if not (isinstance(name, str) and _is_dotted_name(name)):
        raise InvalidTaskContext(
            f"context['task_executor']['f']={name!r} is not valid: expected the dotted name "
            "of a function in an importable module, such as 'package.module.function'"
        )
    args = spec.get("a", ())
    if not isinstance(args, tuple | list):
        raise InvalidTaskContext(
            f"context['task_executor']['a'] of type {type(args).__name__} is not valid: "
            "expected a tuple or list of positional arguments"
        )
    kwargs = spec.get("k") or {}
    if not isinstance(kwargs, dict) or not all(isinstance(k, str) for k in kwargs):
        raise InvalidTaskContext(
            f"context['task_executor']['k']={kwargs!r} is not valid: "
            "expected a dict of keyword arguments with string keys"
        )
    return name, tuple(args), kwargs


def _is_dotted_name(name: str) -> bool:
    module, _, function = name.rpartition(".")
    return bool(module) and all(part.isidentifier() for part in (*module.split("."), function))


def call_named(name: str, buffer: bytes, /, *args: Any, **kwargs: Any) -> Any:
    """On the worker: import ``module.function`` named by ``name``; return ``function(buffer, ...)``."""
    module, _, function = name.rpartition(".")
    target = getattr(importlib.import_module(module), function)
    return target(buffer, *args, **kwargs)

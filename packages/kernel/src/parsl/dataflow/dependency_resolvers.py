"""How the DataFlowKernel finds futures among an app's arguments and replaces them by results.

The shallow resolver (the default) looks at each positional and keyword
argument and at each element of ``inputs=[...]``. The deep resolver also
looks inside lists, tuples, sets and dicts, recursively (dict keys and
values). Both are plain data: pass your own to ``Config(dependency_resolver=...)``.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class DependencyResolver:
    """A pair of functions: gather the futures in a value; rebuild the value with results."""

    traverse_to_gather: Callable[[Any], list[Future[Any]]]
    traverse_to_unwrap: Callable[[Any], Any]


def _shallow_gather(o: Any) -> list[Future[Any]]:
    return [o] if isinstance(o, Future) else []


def _shallow_unwrap(o: Any) -> Any:
    return o.result() if isinstance(o, Future) else o


def _deep_gather(o: Any) -> list[Future[Any]]:
    if isinstance(o, Future):
        return [o]
    if isinstance(o, list | tuple | set | frozenset):
        return [f for e in o for f in _deep_gather(e)]
    if isinstance(o, dict):
        return [f for k, v in o.items() for f in (*_deep_gather(k), *_deep_gather(v))]
    return []


def _deep_unwrap(o: Any) -> Any:
    if isinstance(o, Future):
        return o.result()
    if isinstance(o, list):
        return [_deep_unwrap(e) for e in o]
    if isinstance(o, tuple):
        items = [_deep_unwrap(e) for e in o]
        return type(o)(*items) if hasattr(o, "_fields") else tuple(items)
    if isinstance(o, set | frozenset):
        return type(o)(_deep_unwrap(e) for e in o)
    if isinstance(o, dict):
        return {_deep_unwrap(k): _deep_unwrap(v) for k, v in o.items()}
    return o


SHALLOW_DEPENDENCY_RESOLVER = DependencyResolver(_shallow_gather, _shallow_unwrap)
DEEP_DEPENDENCY_RESOLVER = DependencyResolver(_deep_gather, _deep_unwrap)

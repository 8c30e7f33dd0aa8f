"""How the DataFlowKernel finds futures among an app's arguments and replaces them by results.

The shallow resolver (the default) looks at each positional and keyword
argument and at each element of ``inputs=[...]``. The deep resolver also
looks inside lists, tuples, sets and dicts, recursively (dict keys and
values). Both are plain data: pass your own to ``Config(dependency_resolver=...)``.

The four traversals are :func:`functools.singledispatch` functions under
Parsl's names, so a container type of your own can be taught to the deep
resolver (or a wrapper type to the shallow one) by registering it with both
of a resolver's functions; ``docs/examples/resolver_register.py`` shows how.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass
from functools import singledispatch
from typing import Any


@dataclass(frozen=True)
class DependencyResolver:
    """A pair of functions: gather the futures in a value; rebuild the value with results."""

    traverse_to_gather: Callable[[Any], list[Future[Any]]]
    traverse_to_unwrap: Callable[[Any], Any]


@singledispatch
def shallow_traverse_to_gather(o: Any) -> list[Future[Any]]:
    """The futures the shallow resolver finds in ``o``: ``o`` itself if it is one."""
    return []


@shallow_traverse_to_gather.register
def _(o: Future) -> list[Future[Any]]:  # type: ignore[type-arg]
    return [o]


@singledispatch
def shallow_traverse_to_unwrap(o: Any) -> Any:
    """``o``, or its result if it is a future (the shallow resolver)."""
    return o


@shallow_traverse_to_unwrap.register
def _(o: Future) -> Any:  # type: ignore[type-arg]
    return o.result()


@singledispatch
def deep_traverse_to_gather(o: Any) -> list[Future[Any]]:
    """The futures anywhere in ``o``'s lists, tuples, sets, frozensets and dicts."""
    return []


@deep_traverse_to_gather.register
def _(o: Future) -> list[Future[Any]]:  # type: ignore[type-arg]
    return [o]


@deep_traverse_to_gather.register(list)
@deep_traverse_to_gather.register(tuple)
@deep_traverse_to_gather.register(set)
@deep_traverse_to_gather.register(frozenset)
def _(o: Any) -> list[Future[Any]]:
    return [f for e in o for f in deep_traverse_to_gather(e)]


@deep_traverse_to_gather.register
def _(o: dict) -> list[Future[Any]]:  # type: ignore[type-arg]
    return [
        f for k, v in o.items() for f in (*deep_traverse_to_gather(k), *deep_traverse_to_gather(v))
    ]


@singledispatch
def deep_traverse_to_unwrap(o: Any) -> Any:
    """``o`` rebuilt with each future found by :func:`deep_traverse_to_gather` replaced by its result.

    Lists, sets, frozensets and dicts come back as the built-in type; a
    named tuple keeps its type.
    """
    return o


@deep_traverse_to_unwrap.register
def _(o: Future) -> Any:  # type: ignore[type-arg]
    return o.result()


@deep_traverse_to_unwrap.register
def _(o: list) -> Any:  # type: ignore[type-arg]
    return [deep_traverse_to_unwrap(e) for e in o]


@deep_traverse_to_unwrap.register
def _(o: tuple) -> Any:  # type: ignore[type-arg]
    items = [deep_traverse_to_unwrap(e) for e in o]
    return type(o)(*items) if hasattr(o, "_fields") else tuple(items)


@deep_traverse_to_unwrap.register(set)
@deep_traverse_to_unwrap.register(frozenset)
def _(o: Any) -> Any:
    return type(o)(deep_traverse_to_unwrap(e) for e in o)


@deep_traverse_to_unwrap.register
def _(o: dict) -> Any:  # type: ignore[type-arg]
    return {deep_traverse_to_unwrap(k): deep_traverse_to_unwrap(v) for k, v in o.items()}


SHALLOW_DEPENDENCY_RESOLVER = DependencyResolver(
    shallow_traverse_to_gather, shallow_traverse_to_unwrap
)
DEEP_DEPENDENCY_RESOLVER = DependencyResolver(deep_traverse_to_gather, deep_traverse_to_unwrap)

"""Parsl's public traversal functions: the resolvers use them, and a registered type extends them."""

from __future__ import annotations

from collections import namedtuple
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Any

import parsl
from parsl import python_app
from parsl.config import Config
from parsl.dataflow.dependency_resolvers import (
    DEEP_DEPENDENCY_RESOLVER,
    SHALLOW_DEPENDENCY_RESOLVER,
    DependencyResolver,
    deep_traverse_to_gather,
    deep_traverse_to_unwrap,
    shallow_traverse_to_gather,
    shallow_traverse_to_unwrap,
)
from parsl.executors import ThreadPoolExecutor


@dataclass
class Pair:
    left: Any
    right: Any


@deep_traverse_to_gather.register
def _(o: Pair) -> list[Future[Any]]:
    return deep_traverse_to_gather(o.left) + deep_traverse_to_gather(o.right)


@deep_traverse_to_unwrap.register
def _(o: Pair) -> Pair:
    return Pair(deep_traverse_to_unwrap(o.left), deep_traverse_to_unwrap(o.right))


class Boxed:
    """A wrapper the shallow resolver is taught to look through."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner


@shallow_traverse_to_gather.register
def _(o: Boxed) -> list[Future[Any]]:
    return [o.inner] if isinstance(o.inner, Future) else []


@shallow_traverse_to_unwrap.register
def _(o: Boxed) -> Any:
    return o.inner.result() if isinstance(o.inner, Future) else o.inner


@python_app
def echo(x: Any) -> Any:
    return x


def _done(value: Any) -> Future[Any]:
    f: Future[Any] = Future()
    f.set_result(value)
    return f


def test_the_resolvers_are_made_of_the_public_traversals() -> None:
    assert SHALLOW_DEPENDENCY_RESOLVER.traverse_to_gather is shallow_traverse_to_gather
    assert SHALLOW_DEPENDENCY_RESOLVER.traverse_to_unwrap is shallow_traverse_to_unwrap
    assert DEEP_DEPENDENCY_RESOLVER.traverse_to_gather is deep_traverse_to_gather
    assert DEEP_DEPENDENCY_RESOLVER.traverse_to_unwrap is deep_traverse_to_unwrap


def test_traversals_on_built_in_containers() -> None:
    a, b = _done(1), _done(2)
    Point = namedtuple("Point", "x y")
    value = {"k": [a, (b, 3)], a: {4}, "p": Point(a, b), "f": frozenset([5])}
    assert shallow_traverse_to_gather(a) == [a]
    assert shallow_traverse_to_gather([a]) == []
    assert shallow_traverse_to_unwrap(a) == 1
    assert shallow_traverse_to_unwrap([a]) == [a]
    found = deep_traverse_to_gather(value)
    assert sorted(id(f) for f in found) == sorted(id(f) for f in [a, b, a, a, b])
    out = deep_traverse_to_unwrap(value)
    assert out == {"k": [1, (2, 3)], 1: {4}, "p": Point(1, 2), "f": frozenset([5])}
    assert type(out["p"]) is Point


def test_a_registered_container_is_searched_by_the_deep_resolver(run_dir: str) -> None:
    config = Config(
        executors=[ThreadPoolExecutor(max_threads=2, label="threads")],
        run_dir=run_dir,
        dependency_resolver=DEEP_DEPENDENCY_RESOLVER,
    )
    with parsl.load(config):
        a, b = echo(1), echo([2])
        out = echo(Pair(a, {"inner": b})).result(timeout=10)
    assert out == Pair(1, {"inner": [2]})


def test_a_registered_wrapper_is_looked_through_by_the_default_resolver(run_dir: str) -> None:
    config = Config(executors=[ThreadPoolExecutor(max_threads=2, label="threads")], run_dir=run_dir)
    with parsl.load(config):
        slow: Future[int] = Future()
        fut = echo(Boxed(slow))
        assert not fut.done()  # it waits for the future inside the box
        slow.set_result(7)
        assert fut.result(timeout=10) == 7
        nested = [slow]  # shallow: a list is not searched
        assert echo(nested).result(timeout=10) == [slow]


def test_a_resolver_of_ones_own_still_works(run_dir: str) -> None:
    def gather(o: Any) -> list[Future[Any]]:
        return [o] if isinstance(o, Future) else []

    def unwrap(o: Any) -> Any:
        return o.result() * 10 if isinstance(o, Future) else o

    config = Config(
        executors=[ThreadPoolExecutor(max_threads=2, label="threads")],
        run_dir=run_dir,
        dependency_resolver=DependencyResolver(gather, unwrap),
    )
    with parsl.load(config):
        assert echo(echo(2)).result(timeout=10) == 20

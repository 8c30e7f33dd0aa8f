# expect: Pair(left=1, right=[2, 3])
from concurrent.futures import Future
from dataclasses import dataclass

import parsl
from parsl import python_app
from parsl.config import Config
from parsl.dataflow.dependency_resolvers import (
    DEEP_DEPENDENCY_RESOLVER,
    deep_traverse_to_gather,
    deep_traverse_to_unwrap,
)


@dataclass
class Pair:
    left: object
    right: object


@deep_traverse_to_gather.register
def _(o: Pair) -> list[Future]:
    return deep_traverse_to_gather(o.left) + deep_traverse_to_gather(o.right)


@deep_traverse_to_unwrap.register
def _(o: Pair) -> Pair:
    return Pair(deep_traverse_to_unwrap(o.left), deep_traverse_to_unwrap(o.right))


@python_app
def const(x):
    return x


@python_app
def show(pair):
    return repr(pair)


with parsl.load(Config(dependency_resolver=DEEP_DEPENDENCY_RESOLVER)):
    print(show(Pair(const(1), [const(2), 3])).result())

# expect: result 3, state exec_done
# expect: shallow resolver: got a list of AppFuture
# expect: deep resolver: got [1, 2]
# expect: DependencyError: root cause ZeroDivisionError
# expect: chain of 2 failed tasks reaches the same root cause: True
import parsl
from parsl import python_app
from parsl.config import Config
from parsl.dataflow.dependency_resolvers import DEEP_DEPENDENCY_RESOLVER
from parsl.dataflow.errors import DependencyError


@python_app
def const(x):
    return x


@python_app
def describe(values):
    kinds = sorted({type(v).__name__ for v in values})
    return values if kinds == ["int"] else "a list of " + ", ".join(kinds)


@python_app
def divide(a, b):
    return a / b


@python_app
def plus_one(x):
    return x + 1


with parsl.load(Config()):
    fut = const(3)
    print(f"result {fut.result()}, state {fut.task_status()}")

    # The default (shallow) resolver looks only at each argument itself and
    # at the items of inputs=[...]: a future inside a list is passed as is.
    print("shallow resolver: got", describe([const(1), const(2)]).result())

with parsl.load(Config(dependency_resolver=DEEP_DEPENDENCY_RESOLVER)):
    # The deep resolver also looks inside lists, tuples, sets and dicts.
    print("deep resolver: got", describe([const(1), const(2)]).result())

    bad = divide(1, 0)
    child = plus_one(bad)  # never runs: its dependency failed
    grandchild = plus_one(child)
    try:
        child.result()
    except DependencyError as e:
        print("DependencyError: root cause", type(e.root_cause).__name__)
    try:
        grandchild.result()
    except DependencyError as e:
        first = e.dependent_exceptions_tids[0][0]
        print(
            "chain of 2 failed tasks reaches the same root cause:",
            isinstance(first, DependencyError) and e.root_cause is bad.exception(),
        )

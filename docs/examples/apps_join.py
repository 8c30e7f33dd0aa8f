# expect: fib(10) = 55
# expect: sum of squares: 30
# expect: JoinError: task failed inside the join: ValueError bad input
import parsl
from parsl import join_app, python_app
from parsl.config import Config
from parsl.dataflow.errors import JoinError


@python_app
def add(a, b):
    return a + b


@python_app
def square(x):
    if x < 0:
        raise ValueError("bad input")
    return x * x


@join_app
def fib(n):
    # A join app returns a future (or a list of futures); its own future
    # completes with their result(s). Join apps may call themselves.
    if n < 2:
        return add(n, 0)
    return add(fib(n - 1), fib(n - 2))


@join_app
def squares(xs):
    return [square(x) for x in xs]


with parsl.load(Config()):
    print("fib(10) =", fib(10).result())
    print("sum of squares:", sum(squares([1, 2, 3, 4]).result()))
    try:
        squares([1, -1]).result()
    except JoinError as e:
        cause = e.root_cause
        print("JoinError: task failed inside the join:", type(cause).__name__, cause)

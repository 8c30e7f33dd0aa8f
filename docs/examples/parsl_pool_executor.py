# expect: map: [0, 1, 4, 9]
# expect: a future as an argument: 10
# expect: hasattr(parsl.executors, 'NoSuchExecutor'): False
# expect: Widget('w', size=2)
"""Code written for Parsl runs here: ParslPoolExecutor, RepresentationMixin, and lookups of missing names."""

import parsl
from parsl import Config, ThreadPoolExecutor
from parsl.concurrent import ParslPoolExecutor
from parsl.utils import RepresentationMixin


def square(x):
    return x * x


def add(a, b):
    return a + b


# A concurrent.futures.Executor whose calls run as Parsl tasks on the Config's executors.
with ParslPoolExecutor(config=Config(executors=[ThreadPoolExecutor(max_threads=2)])) as pool:
    print("map:", list(pool.map(square, range(4))))
    nine = pool.submit(square, 3)
    print("a future as an argument:", pool.submit(add, nine, 1).result())

# Missing names look missing, as on any module (an AttributeError) ...
print("hasattr(parsl.executors, 'NoSuchExecutor'):", hasattr(parsl.executors, "NoSuchExecutor"))


# ... and plugin classes get their repr from their __init__ arguments.
class Widget(RepresentationMixin):
    def __init__(self, name, size=1):
        self.name = name
        self.size = size


print(Widget("w", size=2))

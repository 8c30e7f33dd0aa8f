# expect: chain 1 -> 2 -> 4 -> 8 -> 16
# expect: same coprocess for every call: True
"""A chain of dependent tasks on Work Queue workers in coprocess mode (one Python per worker slot)."""

import os
import socket

import parsl
from parsl import python_app
from parsl.config import Config
from parsl.executors import WorkQueueExecutor
from parsl.providers import LocalProvider


@python_app
def double(x):
    return 2 * x


@python_app
def parent_pid():
    import os

    return os.getppid()  # the coprocess that forked this call


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


config = Config(
    executors=[
        WorkQueueExecutor(
            port=free_port(),
            address="127.0.0.1",
            coprocess=True,  # workers start parsl-wq-coprocess; tasks are calls to it
            worker_options="--cores 1",
            provider=LocalProvider(init_blocks=1, max_blocks=1),
        )
    ],
    run_dir=os.path.join(os.getcwd(), "runinfo"),
)
with parsl.load(config):
    values = [1]
    future = double(1)
    for _ in range(4):
        values.append(future.result())
        future = double(future)
    print("chain", " -> ".join(map(str, values)))
    parents = {parent_pid().result() for _ in range(3)}
    print("same coprocess for every call:", len(parents) == 1)

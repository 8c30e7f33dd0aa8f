# expect: sum of inputs: 10
# expect: wrote out.txt: True
# expect: AppTimeout: app 'nap' exceeded walltime 0.2 s
# expect: InvalidResourceSpecification: ['cores']
import time

import parsl
from parsl import File, python_app
from parsl.app.errors import AppTimeout
from parsl.config import Config
from parsl.executors.errors import InvalidResourceSpecification


@python_app
def total(inputs=()):
    # Futures inside inputs=[...] are waited for and replaced by their results.
    return sum(inputs)


@python_app
def number(n):
    return n


@python_app
def write(text, outputs=()):
    with open(outputs[0], "w") as f:
        f.write(text)
    return outputs[0].filepath


@python_app
def nap(seconds, walltime=0.2):
    # walltime in the signature is a default: every call gets it unless it passes its own.
    time.sleep(seconds)
    return "awake"


with parsl.load(Config()):
    print("sum of inputs:", total(inputs=[number(1), 2, number(3), 4]).result())

    fut = write("hello", outputs=[File("out.txt")])
    fut.result()
    data_future = fut.outputs[0]  # a DataFuture for out.txt
    print("wrote out.txt:", data_future.result().filepath == "out.txt")

    try:
        nap(5).result()
    except AppTimeout as e:
        print("AppTimeout:", e)

    try:
        number(1, parsl_resource_specification={"cores": 2}).result()
    except InvalidResourceSpecification as e:
        print("InvalidResourceSpecification:", e.invalid_keys)

# expect: 6
# expect: hello from bash
# expect: [0, 1, 4, 9]
import parsl
from parsl import bash_app, python_app
from parsl.config import Config
from parsl.executors import ThreadPoolExecutor


@python_app
def add(a, b):
    return a + b


@python_app
def square(x):
    return x * x


@bash_app
def greet(name, stdout=parsl.AUTO_LOGNAME):
    return f"echo hello from {name}"


config = Config(executors=[ThreadPoolExecutor(max_threads=4)])

with parsl.load(config):
    # Calling an app returns a future at once; passing a future to another
    # app makes the second wait for the first.
    total = add(add(1, 2), 3)
    print(total.result())

    greeting = greet("bash")
    greeting.result()  # 0: the command exited successfully
    with open(greeting.stdout) as f:
        print(f.read().strip())

    squares = [square(i) for i in range(4)]
    print([s.result() for s in squares])

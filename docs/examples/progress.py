# expect: done 18 failed 2
# expect: 20 results
import sys
import time

import parsl
from parsl import python_app
from parsl.config import Config
from parsl.executors import ThreadPoolExecutor
from parsl.progress import Progress, progress


@python_app
def simulate(i):
    time.sleep(0.1)
    if i in (3, 7):
        raise ValueError(f"simulation {i} diverged")
    return i * i


with parsl.load(Config(executors=[ThreadPoolExecutor(max_threads=4)])):
    futures = [simulate(i) for i in range(20)]
    # On a terminal: one line, redrawn in place. Here stdout is a pipe, so
    # the display writes a plain line every half second and a last one.
    with Progress(futures, file=sys.stdout, interval=0.5) as p:
        counts = p.wait()
    print(f"done {counts.done} failed {counts.failed}")

    # Or take each future as it finishes, with the display running meanwhile.
    results = []
    for fut in progress([simulate(i) for i in range(20, 40)], file=sys.stdout):
        if fut.exception() is None:
            results.append(fut.result())
    print(f"{len(results)} results")

"""A Parsl workflow run under ``dragon``: Dragon's own executors on this project's kernel.

Usage: dragon --single-node-override dragon_workflow.py RUN_DIR {pool,batch,mpi_app,sleep}
Prints one JSON object per line for the test to check.
"""

import json
import multiprocessing as mp
import os
import sys
import time

import dragon  # noqa: F401 - registers the "dragon" start method

import parsl
from parsl import bash_app, python_app
from parsl.config import Config


def say(**kw):
    print(json.dumps(kw), flush=True)


@python_app
def square(x):
    return x * x


@python_app
def total(*xs):
    return sum(xs)


@python_app
def where():
    import os

    return os.getpid()


@python_app
def fails():
    raise ValueError("raised under Dragon")


@bash_app
def greet(name, stdout=None):
    return f"echo hello {name}"


def main(run_dir, mode):
    mp.set_start_method("dragon")
    if mode == "sleep":
        say(started=True, pid=os.getpid())
        time.sleep(600)
        return
    if mode == "batch":
        from parsl.executors import DragonBatchPoolExecutor as Executor

        executor = Executor(max_processes=2, batch_size=2)
    else:
        from parsl.executors import DragonPoolExecutor as Executor

        executor = Executor(max_processes=2)
    config = Config(executors=[executor], strategy=None, run_dir=os.path.join(run_dir, "runinfo"))
    with parsl.load(config):
        if mode == "mpi_app":
            # Dragon's mpi_app decorator submits through DataFlowKernel.submit(func, app_args=...)
            from dragon.workflows.parsl_mpi_app import mpi_app

            @mpi_app(executors=[executor.label])
            def job(ranks, bias):
                return "factorial", "/tmp", None, ranks, [str(bias)]

            say(mpi_app=list(job(4, 10).result(timeout=60)))
            return
        squares = [square(i) for i in range(6)]
        say(squares=[f.result(timeout=60) for f in squares])
        say(total=total(*squares).result(timeout=60))
        say(other_process=where().result(timeout=60) != os.getpid())
        try:
            fails().result(timeout=60)
        except ValueError as e:
            say(error=type(e).__name__, message=str(e))
        out = os.path.join(run_dir, "greet.out")
        code = greet("dragon", stdout=out).result(timeout=60)
        with open(out) as f:
            say(bash=code, stdout=f.read().strip())
        try:
            square(2, parsl_resource_specification={"cores": 2}).result(timeout=60)
        except Exception as e:
            say(resource_specification=type(e).__name__)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])

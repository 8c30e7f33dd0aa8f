# expect: squares [0, 1, 4, 9]
# expect: total 14
"""Parsl apps on Dragon's own DragonPoolExecutor; the script starts itself under ``dragon``."""

import sys

from parsl import python_app


@python_app
def square(x):
    return x * x


@python_app
def total(*xs):
    return sum(xs)


def workflow():
    import multiprocessing as mp

    import dragon  # noqa: F401 - registers the "dragon" start method

    import parsl
    from parsl.config import Config
    from parsl.executors import DragonPoolExecutor

    mp.set_start_method("dragon")
    config = Config(executors=[DragonPoolExecutor(max_processes=2)], strategy=None)
    with parsl.load(config):
        squares = [square(i) for i in range(4)]
        print("squares", [s.result() for s in squares])
        print("total", total(*squares).result())


if __name__ == "__main__":
    if sys.argv[1:] == ["--in-dragon"]:
        workflow()
    else:  # same as: dragon --single-node-override dragon_workflow.py --in-dragon
        from parsl.executors.dragon import run_under_dragon

        run = run_under_dragon(__file__, "--in-dragon", timeout=40)
        print("\n".join(line for line in run.stdout.splitlines() if not line.startswith("+++")))
        sys.exit(run.returncode)

"""``parsl-perf``: how many tasks per second a configuration runs, as Parsl's command measures it.

::

    parsl-perf --config my_config.py [--time 120] [--iterations 3] [--min-tasks 0]
               [--resources '{"priority": 1}'] [--argsize 0]

``--config`` is a Python file that defines ``config`` (a Config). Each
iteration submits a batch of trivial tasks, waits for all of them and
reports the rate; the next batch is sized from that rate to take about
``--time`` seconds (at least ``--min-tasks``). The first batch has
``max(1, --min-tasks)`` tasks.
"""

from __future__ import annotations

import argparse
import json
import math
import runpy
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TextIO

from parsl.app.app import python_app
from parsl.config import Config
from parsl.dataflow.loader import DataFlowKernelLoader
from parsl.version import VERSION

PROG = "parsl-perf"


class PerfError(Exception):
    """A bad ``parsl-perf`` argument or configuration file."""


@python_app
def _noop(extra: Any, parsl_resource_specification: dict[str, Any] | None = None) -> int:
    return 7


@dataclass(frozen=True)
class Iteration:
    """One measured batch."""

    tasks: int
    seconds: float

    @property
    def rate(self) -> float:
        """Tasks per second."""
        return self.tasks / self.seconds if self.seconds > 0 else math.inf


def next_batch_size(previous: Iteration, target_seconds: float, min_tasks: int) -> int:
    """Tasks for the next batch: the previous rate times the target time, at least ``min_tasks``."""
    if math.isinf(previous.rate):
        return max(min_tasks, previous.tasks * 2, 1)
    return max(min_tasks, 1, int(previous.rate * target_seconds))


def load_config_file(path: str) -> Config:
    """The ``config`` a Python file defines."""
    try:
        namespace = runpy.run_path(path)
    except OSError as e:
        raise PerfError(f"cannot read config file {path!r}: {e}") from e
    config = namespace.get("config")
    if not isinstance(config, Config):
        raise PerfError(
            f"{path!r} must define 'config' as a parsl.config.Config (found {type(config).__name__})"
        )
    return config


def _resources(text: str | None) -> dict[str, Any]:
    if text is None:
        return {}
    try:
        value = json.loads(text)
    except json.JSONDecodeError as e:
        raise PerfError(f"--resources {text!r} is not JSON: {e}") from e
    if not isinstance(value, dict):
        raise PerfError(f"--resources {text!r} must be a JSON object (a resource specification)")
    return value


def run_batch(n: int, resources: dict[str, Any], argsize: int) -> Iteration:
    """Submit ``n`` tasks, wait for all, and time it."""
    extra = b"x" * argsize
    kwargs: dict[str, Any] = {"parsl_resource_specification": resources} if resources else {}
    started = time.perf_counter()
    futures = [_noop(extra, **kwargs) for _ in range(n)]
    for fut in futures:
        fut.result()
    return Iteration(n, time.perf_counter() - started)


def benchmark(
    config: Config,
    *,
    target_seconds: float,
    iterations: int,
    min_tasks: int = 0,
    resources: dict[str, Any] | None = None,
    argsize: int = 0,
    out: TextIO | None = None,
    batch: Callable[[int, dict[str, Any], int], Iteration] = run_batch,
) -> list[Iteration]:
    """Load ``config``, run ``iterations`` measured batches, clean up; return the measurements."""
    out = sys.stdout if out is None else out
    results: list[Iteration] = []
    DataFlowKernelLoader.load(config)
    try:
        n = max(1, min_tasks)
        for i in range(1, iterations + 1):
            print(f"==== Iteration {i} ====", file=out)
            print(f"Will run {n} tasks to target {target_seconds:g} seconds runtime", file=out)
            result = batch(n, resources or {}, argsize)
            results.append(result)
            print(f"Runtime: actual {result.seconds:.3f}s vs target {target_seconds:g}s", file=out)
            print(f"Tasks per second: {result.rate:.3f}", file=out, flush=True)
            n = next_batch_size(result, target_seconds, min_tasks)
    finally:
        print("Cleaning up DFK", file=out)
        DataFlowKernelLoader.clear()
    print("The end", file=out)
    return results


def build_parser() -> argparse.ArgumentParser:
    """Parsl's ``parsl-perf`` options."""
    p = argparse.ArgumentParser(prog=PROG, description=__doc__.split("\n")[0])
    p.add_argument("--config", required=True, help="a Python file that defines 'config'")
    p.add_argument("--min-tasks", metavar="T", type=int, default=0, help="fewest tasks per batch")
    p.add_argument(
        "--time", metavar="SECONDS", type=float, default=120, help="target seconds per iteration"
    )
    p.add_argument("--iterations", metavar="COUNT", type=int, default=3, help="how many batches")
    p.add_argument(
        "--resources", metavar="EXECUTOR_RESOURCES", help="parsl_resource_specification (JSON)"
    )
    p.add_argument("--argsize", metavar="BYTES", type=int, default=0, help="extra argument bytes")
    p.add_argument("--version", action="version", version=f"{PROG} (parsl-kernel {VERSION})")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark; exit 2 on a bad argument or configuration file."""
    args = build_parser().parse_args(argv)
    try:
        for flag, value, least in (
            ("--time", args.time, 0),
            ("--iterations", args.iterations, 1),
            ("--min-tasks", args.min_tasks, 0),
            ("--argsize", args.argsize, 0),
        ):
            if not value >= least or (flag == "--time" and not value > 0):
                raise PerfError(
                    f"{flag} {value}: must be {'> 0' if flag == '--time' else f'>= {least}'}"
                )
        resources = _resources(args.resources)
        config = load_config_file(args.config)
    except PerfError as e:
        print(f"{PROG}: {e}", file=sys.stderr)
        return 2
    benchmark(
        config,
        target_seconds=args.time,
        iterations=args.iterations,
        min_tasks=args.min_tasks,
        resources=resources,
        argsize=args.argsize,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())

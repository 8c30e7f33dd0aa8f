"""``parsl-perf``: how many tasks per second a configuration runs, as Parsl's command measures it.

::

    parsl-perf --config my_config.py [--time 120] [--iterate estimate|exponential|N,N,...]
               [--iterations COUNT] [--min-tasks 0] [--resources '{"priority": 1}']
               [--argsize 0]

``--config`` is a Python file that defines ``config`` (a Config) or a
function ``fresh_config()`` returning one. Each iteration submits a batch
of trivial tasks, waits for all of them and reports the rate. ``--iterate``
chooses the batch sizes, as in Parsl:

* ``estimate`` (the default): the first batch has ``max(10, --min-tasks)``
  tasks; each next one is sized from the last rate to take about ``--time``
  seconds (at least ``--min-tasks``); it stops after a batch that took at
  least half of ``--time``;
* ``exponential``: 10, 20, 40, ... tasks, until a batch takes ``--time``;
* a comma-separated list of sizes (``100,1000,10000``): those batches.

``--iterations COUNT`` runs exactly that many batches instead (of a list,
at most that many). Without it, no run has more than
:data:`MAX_ITERATIONS` batches.
"""

from __future__ import annotations

import argparse
import ast
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
FIRST_BATCH = 10
"""Tasks in the first batch of ``estimate`` and ``exponential`` (as Parsl's)."""
MAX_ITERATIONS = 20
"""Most batches a run without ``--iterations`` makes: a guard, never reached in practice."""
ESTIMATE_STOP_FRACTION = 0.5
"""``estimate`` stops after a batch that took at least this fraction of the target time."""


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


@dataclass(frozen=True)
class IterationMode:
    """How batch sizes are chosen: ``estimate``, ``exponential``, or the given ``sizes``."""

    kind: str
    sizes: tuple[int, ...] = ()


ESTIMATE = IterationMode("estimate")
EXPONENTIAL = IterationMode("exponential")


def iteration_mode(text: str) -> IterationMode:
    """Parse ``--iterate``: ``estimate``, ``exponential``, or comma-separated positive sizes."""
    if text in (ESTIMATE.kind, EXPONENTIAL.kind):
        return ESTIMATE if text == ESTIMATE.kind else EXPONENTIAL
    parts = [p.strip() for p in text.split(",")]
    if not all(p.isdigit() and int(p) > 0 for p in parts):
        raise argparse.ArgumentTypeError(
            f"Invalid iteration mode: {text} (expected estimate, exponential, "
            "or comma-separated positive task counts such as 100,1000)"
        )
    return IterationMode("sizes", tuple(int(p) for p in parts))


def plan_next(
    mode: IterationMode,
    done: Sequence[Iteration],
    target_seconds: float,
    min_tasks: int,
    fixed_count: int | None,
) -> int | None:
    """The next batch's size, or None when the run is over."""
    limit = MAX_ITERATIONS if fixed_count is None else fixed_count
    if len(done) >= limit:
        return None
    if mode.kind == "sizes":
        return mode.sizes[len(done)] if len(done) < len(mode.sizes) else None
    if not done:
        return max(FIRST_BATCH, min_tasks)
    last = done[-1]
    if mode.kind == "exponential":
        if fixed_count is None and last.seconds >= target_seconds:
            return None
        return max(last.tasks * 2, min_tasks)
    if fixed_count is None and last.seconds >= ESTIMATE_STOP_FRACTION * target_seconds:
        return None
    return next_batch_size(last, target_seconds, min_tasks)


def next_batch_size(previous: Iteration, target_seconds: float, min_tasks: int) -> int:
    """Tasks for the next batch: the previous rate times the target time, at least ``min_tasks``."""
    if math.isinf(previous.rate):
        return max(min_tasks, previous.tasks * 2, 1)
    return max(min_tasks, 1, int(previous.rate * target_seconds))


def load_config_file(path: str) -> Config:
    """The ``config`` a Python file defines, or what its ``fresh_config()`` returns."""
    try:
        namespace = runpy.run_path(path)
    except OSError as e:
        raise PerfError(f"cannot read config file {path!r}: {e}") from e
    except Exception as e:  # the file is the user's code: any error is a bad file
        raise PerfError(f"config file {path!r} failed: {type(e).__name__}: {e}") from e
    config = namespace.get("config")
    fresh = namespace.get("fresh_config")
    if not isinstance(config, Config) and callable(fresh):
        try:
            config = fresh()
        except Exception as e:
            raise PerfError(f"{path!r}: fresh_config() failed: {type(e).__name__}: {e}") from e
        if not isinstance(config, Config):
            raise PerfError(
                f"{path!r}: fresh_config() returned a {type(config).__name__}, "
                "not a parsl.config.Config"
            )
    if not isinstance(config, Config):
        raise PerfError(
            f"{path!r} must define 'config' as a parsl.config.Config, or a function "
            f"'fresh_config' returning one (found {type(config).__name__})"
        )
    return config


def _resources(text: str | None) -> dict[str, Any]:
    if text is None:
        return {}
    try:
        value = json.loads(text)
    except json.JSONDecodeError as e:
        try:  # Parsl takes a Python dict expression: {'cores': 1}
            value = ast.literal_eval(text)
        except (ValueError, SyntaxError, MemoryError, RecursionError):
            raise PerfError(
                f"--resources {text!r} is not JSON or a Python dict literal: {e}"
            ) from e
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
    iterations: int | None = None,
    mode: IterationMode = ESTIMATE,
    min_tasks: int = 0,
    resources: dict[str, Any] | None = None,
    argsize: int = 0,
    out: TextIO | None = None,
    batch: Callable[[int, dict[str, Any], int], Iteration] = run_batch,
) -> list[Iteration]:
    """Load ``config``, run the batches ``mode`` and ``iterations`` call for, clean up.

    Returns the measurements, one per batch.
    """
    out = sys.stdout if out is None else out
    results: list[Iteration] = []
    aim = f" to target {target_seconds:g} seconds runtime" if mode.kind == "estimate" else ""
    DataFlowKernelLoader.load(config)
    try:
        while (n := plan_next(mode, results, target_seconds, min_tasks, iterations)) is not None:
            print(f"==== Iteration {len(results) + 1} ====", file=out)
            print(f"Will run {n} tasks{aim}", file=out, flush=True)  # progress, even piped
            result = batch(n, resources or {}, argsize)
            results.append(result)
            print(f"Runtime: actual {result.seconds:.3f}s vs target {target_seconds:g}s", file=out)
            print(f"Tasks per second: {result.rate:.3f}", file=out, flush=True)
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
    p.add_argument(
        "--iterate",
        metavar="MODE",
        type=iteration_mode,
        default=ESTIMATE,
        help="estimate (default), exponential, or comma-separated batch sizes",
    )
    p.add_argument(
        "--iterations", metavar="COUNT", type=int, default=None, help="run exactly COUNT batches"
    )
    p.add_argument(
        "--resources",
        metavar="EXPR",
        help="parsl_resource_specification (JSON, or a Python dict literal)",
    )
    p.add_argument("--argsize", metavar="BYTES", type=int, default=0, help="extra argument bytes")
    p.add_argument("--version", action="version", version=f"{PROG} (parsl-kernel {VERSION})")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark; exit 2 on a bad argument or configuration file.

    A benchmark that fails (a task's exception, a configuration that does not
    load) exits 1 with the reason; Ctrl-C exits 130. Either way the
    DataFlowKernel is cleaned up first.
    """
    args = build_parser().parse_args(argv)
    try:
        for flag, value, least in (
            ("--time", args.time, 0),
            ("--iterations", 1 if args.iterations is None else args.iterations, 1),
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
    try:
        benchmark(
            config,
            target_seconds=args.time,
            iterations=args.iterations,
            mode=args.iterate,
            min_tasks=args.min_tasks,
            resources=resources,
            argsize=args.argsize,
        )
    except KeyboardInterrupt:  # the DFK was cleaned up on the way out
        print(f"{PROG}: interrupted", file=sys.stderr)
        return 130
    except Exception as e:
        print(f"{PROG}: the benchmark failed: {type(e).__name__}: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

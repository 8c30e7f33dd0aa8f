"""What remote monitoring costs htex: no-op tasks, 2 workers on LocalProvider, monitoring off vs on.

    .venv/bin/python integration-tests/monitoring/bench_remote_monitoring.py [TASKS] [ROUNDS]

Each round runs four configurations, each with a fresh executor: monitoring
off; an in-memory sink with the executor's radio off (the DataFlowKernel's
own monitoring only); remote monitoring without resource samples; and
remote monitoring with resource samples every second. It prints tasks per
second and the CPU time all processes (submit process, interchange,
manager, workers) spent per task. On a machine shared with other work the
CPU time is the steadier figure; the best rate of each is printed at the end.
The sink counts messages and stores nothing, so this measures the workers,
the channel and the executor, not a database.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from typing import Any

import psutil

import parsl
from parsl import python_app
from parsl.config import Config
from parsl.executors import HighThroughputExecutor
from parsl.monitoring.sink import MonitoringSink
from parsl.providers import LocalProvider


class CountingSink(MonitoringSink):
    def __init__(self, resources: bool) -> None:
        self.resource_monitoring_enabled = resources
        self.resource_monitoring_interval = 1.0
        self.count = 0

    def task_transition(self, event: Any) -> None:
        self.count += 1

    def send(self, message: Any) -> None:
        self.count += 1

    def close(self) -> None:
        pass


@python_app
def noop() -> None:
    return None


def tree_cpu() -> float:
    me = psutil.Process()
    total = 0.0
    for p in [me, *me.children(recursive=True)]:
        try:
            t = p.cpu_times()
        except psutil.Error:
            continue
        total += t.user + t.system
    return total


def run(sink: CountingSink | None, radio: bool, n: int) -> tuple[float, float]:
    htex = HighThroughputExecutor(
        label="htex", max_workers_per_node=2, provider=LocalProvider(init_blocks=1, max_blocks=1)
    )
    if not radio:
        htex.remote_monitoring_radio = None
    config = Config(executors=[htex], run_dir=tempfile.mkdtemp(), monitoring=sink, strategy="none")
    with parsl.load(config):
        [f.result() for f in [noop() for _ in range(200)]]  # warm up
        cpu0, t0 = tree_cpu(), time.perf_counter()
        [f.result() for f in [noop() for _ in range(n)]]
        elapsed = time.perf_counter() - t0
        cpu = tree_cpu() - cpu0
    return n / elapsed, cpu / n * 1e6


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 3000
    rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 2
    configs = {
        "off": lambda: (None, True),
        "dfk-only": lambda: (CountingSink(True), False),
        "remote, no resources": lambda: (CountingSink(False), True),
        "remote, resources 1 s": lambda: (CountingSink(True), True),
    }
    rates: dict[str, list[float]] = {k: [] for k in configs}
    cpus: dict[str, list[float]] = {k: [] for k in configs}
    for r in range(rounds):
        for name, make in configs.items():
            sink, radio = make()
            rate, cpu = run(sink, radio, n)
            rates[name].append(rate)
            cpus[name].append(cpu)
            print(f"round {r} {name:22s} {rate:7.0f} tasks/s  {cpu:5.0f} us CPU/task", flush=True)
    off_rate, off_cpu = max(rates["off"]), statistics.median(cpus["off"])
    for name in configs:
        rate, cpu = max(rates[name]), statistics.median(cpus[name])
        print(
            f"{name:22s} best {rate:7.0f} tasks/s ({rate / off_rate:.2f} of off), "
            f"median {cpu:5.0f} us CPU/task ({off_cpu / cpu:.2f} of off's rate if CPU-bound)"
        )


if __name__ == "__main__":
    main()

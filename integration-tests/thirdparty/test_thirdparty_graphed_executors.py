"""graphed-executors (PyPI, requires parsl) drives our executors the way it drives Parsl's.

Its ``parsl_backend`` starts a HighThroughputExecutor without a DataFlowKernel
(``run_dir``, ``provider.script_dir``, ``start()``, ``scale_out_facade``),
counts workers with ``connected_managers()``, and submits through
``executor.submit(func, resource_specification, *args)``. Installed with
``--no-deps`` beside ours by tools/setup-env.
"""

from __future__ import annotations

import math
import operator
import time
from pathlib import Path

import pytest
from graphed_executors.parsl_backend import ParslBackend, start_htex, stop_htex

from parsl.executors import HighThroughputExecutor, ThreadPoolExecutor


@pytest.mark.timeout(60)
def test_backend_over_a_started_thread_pool(tmp_path: Path) -> None:
    pool = ThreadPoolExecutor(max_threads=3)
    pool.run_dir = str(tmp_path)
    pool.start()
    try:
        backend = ParslBackend(pool)
        assert backend.n_workers() == 3
        futures = [backend.submit(operator.mul, i, i, key=f"k{i}") for i in range(6)]
        assert [f.result() for f in futures] == [0, 1, 4, 9, 16, 25]
    finally:
        pool.shutdown()


@pytest.mark.timeout(120)
def test_backend_over_htex_started_without_a_dfk(tmp_path: Path) -> None:
    executor = start_htex(workers=2, run_dir=str(tmp_path / "run"), address="127.0.0.1")
    try:
        assert isinstance(executor, HighThroughputExecutor)
        assert (tmp_path / "run" / "submit_scripts").is_dir()
        # start() here starts init_blocks itself and start_htex then adds Parsl's
        # scale_out_facade(init_blocks): two blocks (docs/coming-from-parsl.md). n_workers()
        # counts whatever managers have connected at its first non-zero look, so wait
        # until both blocks' managers are in before counting (a busy machine connects
        # them in either order and at any time).
        blocks = executor.blocks_to_job_id
        assert len(blocks) == 2
        deadline = time.monotonic() + 60
        while len(executor.connected_managers()) < len(blocks):
            assert time.monotonic() < deadline, executor.connected_managers()
            time.sleep(0.05)
        backend = ParslBackend(executor)
        assert backend.n_workers() == 2 * len(blocks)  # from connected_managers()
        futures = [backend.submit(math.factorial, n, key=str(n)) for n in range(6)]
        assert [f.result() for f in futures] == [1, 1, 2, 6, 24, 120]
        # a non-zero priority goes to htex as resource_specification={"priority": p}
        assert backend.submit(math.factorial, 5, key="p", priority=3).result() == 120
        assert executor.connected_blocks()  # blocks_to_job_id and friends answer as in Parsl
    finally:
        stop_htex(executor)

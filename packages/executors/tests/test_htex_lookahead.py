"""Lookahead on real managers: a held task moves to an idle block, and priorities still order everything."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import htex_tasks
from conftest import wait_until

from parsl.executors import HighThroughputExecutor
from parsl.providers import LocalProvider

MakeHtex = Callable[..., HighThroughputExecutor]


def test_a_task_held_behind_a_long_one_runs_on_the_idle_block(make_htex: MakeHtex) -> None:
    htex = make_htex(max_workers_per_node=1, provider=LocalProvider(init_blocks=2, max_blocks=2))
    wait_until(lambda: len(htex.connected_managers()) == 2)
    t0 = time.monotonic()
    long = htex.submit(htex_tasks.where, {}, 6.0)
    # 1 and 3 go to the other block's worker and lookahead slot; 2 waits behind the long task
    quick = [htex.submit(htex_tasks.where, {}, 0.3) for _ in range(3)]
    done_at = []
    for f in quick:
        f.result(timeout=30)
        done_at.append(time.monotonic() - t0)
    long_block = long.result(timeout=30)["env"]["PARSL_WORKER_BLOCK_ID"]
    assert max(done_at) < 4.0, f"a quick task waited for the long one: {done_at}"
    blocks = [f.result()["env"]["PARSL_WORKER_BLOCK_ID"] for f in quick]
    assert long_block not in blocks


def test_a_priority_reclaims_tasks_held_without_one(make_htex: MakeHtex, tmp_path: Path) -> None:
    htex = make_htex(max_workers_per_node=1, provider=LocalProvider(init_blocks=1, max_blocks=1))
    wait_until(lambda: len(htex.connected_managers()) == 1)
    log = str(tmp_path / "order.txt")
    blocker = htex.submit(htex_tasks.sleep_then, {}, 1.5)
    futures = [htex.submit(htex_tasks.append_line, {}, log, "none")]  # held by the manager
    time.sleep(0.3)
    futures += [
        htex.submit(htex_tasks.append_line, {"priority": p}, log, str(p)) for p in [5, 1, 3]
    ]
    blocker.result(timeout=30)
    for f in futures:
        f.result(timeout=30)
    assert Path(log).read_text().split() == ["1", "3", "5", "none"]

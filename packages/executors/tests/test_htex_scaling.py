"""HighThroughputExecutor scaling hooks with real blocks: scale out, scale in (idle first), drain."""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from pathlib import Path

import htex_tasks
import pytest
from conftest import FAST_HEARTBEATS, wait_until

from parsl.errors import ConfigurationError
from parsl.executors import HighThroughputExecutor
from parsl.executors.high_throughput.errors import ManagerLost
from parsl.jobs.states import JobState
from parsl.providers import LocalProvider

MakeHtex = Callable[..., HighThroughputExecutor]


def block_of_running_task(path: Path) -> str:
    wait_until(path.exists)
    return path.read_text().strip()


def test_start_submits_init_blocks_without_waiting_for_a_strategy(make_htex: MakeHtex) -> None:
    t0 = time.monotonic()
    htex = make_htex(provider=LocalProvider(init_blocks=2, max_blocks=2))
    assert sorted(htex.blocks) == ["0", "1"]
    wait_until(lambda: len(htex.connected_managers()) == 2)
    assert time.monotonic() - t0 < 5
    assert htex.connected_workers == 4
    assert {s.state for s in htex.status().values()} == {JobState.RUNNING}


def test_scale_out_then_scale_in_removes_an_idle_block(make_htex: MakeHtex) -> None:
    htex = make_htex(provider=LocalProvider(init_blocks=1, max_blocks=2))
    assert htex.scale_out(1) == ["1"]
    wait_until(lambda: len(htex.connected_managers()) == 2)
    removed = htex.scale_in(1)
    assert removed == ["1"]  # idle blocks go newest first
    assert htex.status()["1"].terminal
    assert [m["block_id"] for m in htex.connected_managers()] == ["0"]
    assert htex.submit(htex_tasks.add, {}, 2, 2).result(timeout=30) == 4


def test_scale_in_spares_the_busy_block(make_htex: MakeHtex, tmp_path: Path) -> None:
    htex = make_htex(max_workers_per_node=1, provider=LocalProvider(init_blocks=2, max_blocks=2))
    wait_until(lambda: len(htex.connected_managers()) == 2)
    marker = tmp_path / "block"

    def record_block_and_sleep(path: str) -> str:
        import os
        import time

        with open(path + ".tmp", "w") as f:
            f.write(os.environ["PARSL_WORKER_BLOCK_ID"])
        os.replace(path + ".tmp", path)  # the test reads it as soon as it exists
        time.sleep(1.5)
        return "done"

    fut = htex.submit(record_block_and_sleep, {}, str(marker))
    busy = block_of_running_task(marker)
    assert htex.scale_in(2) == [b for b in ["0", "1"] if b != busy]
    assert fut.result(timeout=30) == "done"
    assert htex.status()[busy].state == JobState.RUNNING


def test_scale_in_touches_busy_blocks_only_when_forced(make_htex: MakeHtex, tmp_path: Path) -> None:
    htex = make_htex(max_workers_per_node=1, provider=LocalProvider(init_blocks=1))
    marker = tmp_path / "pid"
    fut = htex.submit(htex_tasks.write_pid_and_sleep, {}, str(marker), 60)
    wait_until(marker.exists)
    assert htex.scale_in(1) == []
    assert not fut.done()
    assert htex.scale_in(1, force=True) == ["0"]
    with pytest.raises(ManagerLost, match="block '0' was cancelled"):
        fut.result(timeout=10)


def test_drain_period_retires_the_manager_after_its_tasks(
    make_htex: MakeHtex, tmp_path: Path
) -> None:
    htex = make_htex(drain_period=1.0, **FAST_HEARTBEATS)
    fut = htex.submit(htex_tasks.sleep_then, {}, 2.0, "finished")
    assert fut.result(timeout=30) == "finished"
    wait_until(lambda: htex.connected_managers() == [])
    wait_until(lambda: htex.status()["0"].state == JobState.COMPLETED)


def test_scale_arguments_are_checked(make_htex: MakeHtex) -> None:
    htex = make_htex(provider=LocalProvider(init_blocks=0))
    with pytest.raises(ConfigurationError, match="blocks"):
        htex.scale_out(-1)
    with pytest.raises(ConfigurationError, match="blocks"):
        htex.scale_in("1")  # type: ignore[arg-type]
    assert htex.scale_in(1) == []
    assert htex.status() == {}


@pytest.mark.timeout(60)
def test_scale_in_with_max_idletime_removes_only_blocks_idle_that_long(
    make_htex: MakeHtex, tmp_path: Path
) -> None:
    htex = make_htex(max_workers_per_node=1, provider=LocalProvider(init_blocks=2, max_blocks=3))
    wait_until(lambda: len(htex.connected_managers()) == 2)  # both idle clocks start here
    marker = tmp_path / "block"
    fut = htex.submit(htex_tasks.record_block_and_sleep, {}, str(marker), 60)
    busy = block_of_running_task(marker)
    (old,) = {"0", "1"} - {busy}
    time.sleep(2.0)
    assert htex.scale_out(1) == ["2"]
    wait_until(lambda: len(htex.connected_managers()) == 3)  # block 2's clock starts here
    # Block 2 has been idle well under 1.5 s and the busy block not at all: only the old one goes.
    assert htex.scale_in(3, max_idletime=1.5) == [old]
    statuses = htex.status()
    assert statuses[old].state == JobState.SCALED_IN
    assert statuses[busy].state == statuses["2"].state == JobState.RUNNING
    time.sleep(0.6)
    assert htex.scale_in(1, 0.5) == ["2"]  # Parsl's positional form
    assert htex.scale_in(1, 0) == [] and htex.scale_in_facade(1, 0) == []  # busy is never idle
    assert not fut.done()
    assert htex.scale_in(1, force=True) == [busy]
    with pytest.raises(ManagerLost):
        fut.result(timeout=10)


@pytest.mark.timeout(60)
def test_scale_in_refuses_a_bad_max_idletime_and_removes_nothing(make_htex: MakeHtex) -> None:
    htex = make_htex(provider=LocalProvider(init_blocks=1, max_blocks=1))
    wait_until(lambda: len(htex.connected_managers()) == 1)
    for bad in ("1", -1, -0.5, math.nan, math.inf, True, [1]):
        with pytest.raises(ConfigurationError, match=r"^max_idletime=.* is not valid") as err:
            htex.scale_in(1, bad)  # type: ignore[arg-type]
        assert err.value.field == "max_idletime"
        with pytest.raises(ConfigurationError, match=r"^max_idletime="):
            htex.scale_in_facade(1, bad)  # type: ignore[arg-type]
    with pytest.raises(ConfigurationError, match=r"^force=True .*max_idletime"):
        htex.scale_in(1, 0, force=True)
    with pytest.raises(ConfigurationError, match=r"^blocks="):
        htex.scale_in(-1, 0)
    assert htex.scale_in(0, 0) == []
    assert htex.status()["0"].state == JobState.RUNNING
    assert [m["block_id"] for m in htex.connected_managers()] == ["0"]
    assert htex.submit(htex_tasks.add, {}, 2, 3).result(timeout=30) == 5

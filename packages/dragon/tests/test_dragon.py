"""Dragon's own Parsl executors, from dragonhpc, running Parsl apps on this kernel under real Dragon.

Each workflow runs as ``dragon --single-node-override dragon_workflow.py``
(about 5-10 s each here), started by :func:`run_under_dragon` in a process
group of its own; a run past its limit is killed by that group.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path
from typing import Any

import psutil
import pytest

from parsl.executors.dragon import (
    DragonLaunchError,
    DragonTimeout,
    dragon_program,
    leftover_pool_files,
    run_under_dragon,
)

WORKFLOW = Path(__file__).with_name("dragon_workflow.py")


def workflow(tmp_path: Path, mode: str, timeout: float = 100) -> list[dict[str, Any]]:
    run = run_under_dragon(WORKFLOW, str(tmp_path), mode, timeout=timeout, cwd=tmp_path)
    assert run.returncode == 0, run.stdout + run.stderr
    assert leftover_pool_files(run.launcher_pid) == []  # a normal end leaves nothing behind
    return [json.loads(line) for line in run.stdout.splitlines() if line.startswith("{")]


def merged(lines: list[dict[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for line in lines:
        out.update(line)
    return out


@pytest.mark.slow
@pytest.mark.timeout(150)
def test_dragon_pool_executor_runs_parsl_apps(tmp_path: Path) -> None:
    seen = merged(workflow(tmp_path, "pool"))
    assert seen["squares"] == [0, 1, 4, 9, 16, 25]
    assert seen["total"] == 55  # a task depending on six futures
    assert seen["other_process"] is True
    assert seen["error"] == "ValueError" and seen["message"] == "raised under Dragon"
    assert seen["bash"] == 0 and seen["stdout"] == "hello dragon"
    assert seen["resource_specification"] == "UnsupportedFeatureError"


@pytest.mark.slow
@pytest.mark.timeout(150)
def test_dragon_batch_pool_executor_runs_parsl_apps(tmp_path: Path) -> None:
    seen = merged(workflow(tmp_path, "batch"))
    assert seen["squares"] == [0, 1, 4, 9, 16, 25]
    assert seen["total"] == 55
    assert seen["error"] == "ValueError"
    assert seen["resource_specification"] == "UnsupportedFeatureError"


@pytest.mark.slow
@pytest.mark.timeout(150)
def test_dragon_mpi_app_decorator_submits_through_parsl_api(tmp_path: Path) -> None:
    seen = merged(workflow(tmp_path, "mpi_app"))
    assert seen["mpi_app"] == ["factorial", "/tmp", None, 4, ["10"]]


def _group_alive(pgid: int) -> list[int]:
    alive = []
    for p in psutil.process_iter(["pid"]):
        try:
            if os.getpgid(p.pid) == pgid and p.status() != psutil.STATUS_ZOMBIE:
                alive.append(p.pid)
        except (ProcessLookupError, psutil.Error):
            continue
    return alive


@pytest.mark.slow
@pytest.mark.timeout(120)
def test_timeout_kills_the_whole_run_and_only_its_pools(tmp_path: Path) -> None:
    # a pool-like file of another program that the cleanup must leave alone
    other = Path("/dev/shm") / f"DD{str(os.getuid())[-3:]}999def0Dx"
    other.write_bytes(b"")
    try:
        started = time.monotonic()
        with pytest.raises(DragonTimeout, match="ran past 12 s") as info:
            run_under_dragon(WORKFLOW, str(tmp_path), "sleep", timeout=12, cwd=tmp_path)
        assert time.monotonic() - started < 40
        pgid = info.value.run.launcher_pid
        deadline = time.monotonic() + 10
        while _group_alive(pgid) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert _group_alive(pgid) == []
        assert leftover_pool_files(pgid) == []
        assert other.exists()
    finally:
        other.unlink(missing_ok=True)


def test_leftover_pool_files_match_only_one_runs_names(tmp_path: Path) -> None:
    for name in [
        "DD0430def0D",
        "DD0430inf0M",
        "DD0430log_0D",
        "DD0431def0D",
        "DD0430def0Dx",
        "sem.mp-1",
    ]:
        (tmp_path / name).write_bytes(b"")
    found = [p.name for p in leftover_pool_files(18430, uid=0, shm=tmp_path)]
    assert found == ["DD0430def0D", "DD0430inf0M", "DD0430log_0D"]
    assert leftover_pool_files(18430, uid=0, shm=tmp_path / "missing") == []


def test_bad_input_is_a_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(DragonLaunchError, match="no script"):
        run_under_dragon(tmp_path / "missing.py")
    with pytest.raises(DragonLaunchError, match="timeout"):
        run_under_dragon(WORKFLOW, timeout=0)
    assert dragon_program().endswith("/dragon")
    monkeypatch.setattr(sys, "executable", str(tmp_path / "python"))
    with pytest.raises(DragonLaunchError, match="install dragonhpc"):
        dragon_program()


def test_public_import_paths_are_dragons_classes() -> None:
    from dragon.workflows.parsl_batch_executor import DragonBatchPoolExecutor
    from dragon.workflows.parsl_executor import DragonPoolExecutor

    import parsl.executors

    assert parsl.executors.DragonPoolExecutor is DragonPoolExecutor
    assert parsl.executors.DragonBatchPoolExecutor is DragonBatchPoolExecutor
    ex = DragonPoolExecutor(max_processes=2)
    assert ex.label == "dragon" and ex.monitor_resources() is False

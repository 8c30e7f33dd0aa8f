"""Checkpoints across processes: a second run reuses cached results and does not run them again."""

from __future__ import annotations

import json
import signal
from pathlib import Path

import pytest
from child_processes import Scripts

import parsl
from parsl import bash_app
from parsl.dataflow.dflow import DataFlowKernel
from parsl.utils import get_all_checkpoints

WORKFLOW = """
import json, os, sys, time
import parsl
from parsl import bash_app, python_app
from parsl.config import Config
from parsl.executors import ThreadPoolExecutor
from parsl.utils import get_all_checkpoints

phase, run_dir, counters = sys.argv[1], sys.argv[2], sys.argv[3]
values = [int(v) for v in sys.argv[4].split(",")]
# "auto": bash apps log to parsl.AUTO_LOGNAME, which must not change their cache key.
stdout = parsl.AUTO_LOGNAME if sys.argv[5:] == ["auto"] else None


def count(name):
    with open(os.path.join(counters, name), "a") as f:
        f.write("x")


@python_app(cache=True)
def square(x, counters):
    import os
    with open(os.path.join(counters, f"square-{x}"), "a") as f:
        f.write("x")
    return x * x


@bash_app(cache=True)
def touch(x, counters, stdout=None):
    return f"printf x >> {counters}/touch-{x}"


if phase.startswith("first"):
    config = Config(
        executors=[ThreadPoolExecutor(max_threads=4, label="threads")],
        run_dir=run_dir,
        checkpoint_mode="task_exit",
    )
else:
    config = Config(
        executors=[ThreadPoolExecutor(max_threads=4, label="threads")],
        run_dir=run_dir,
        checkpoint_files=get_all_checkpoints(run_dir),
    )

with parsl.load(config) as dfk:
    squares = [square(v, counters) for v in values]
    touches = [touch(v, counters, stdout=stdout) for v in values]
    results = [f.result() for f in squares]
    codes = [f.result() for f in touches]
    memo = [f.task_record.from_memo for f in squares + touches]
    print("RESULT " + json.dumps({"results": results, "codes": codes, "memo": memo}), flush=True)
    if phase == "first-then-hang":
        time.sleep(300)
"""


def _executions(counters: Path) -> dict[str, int]:
    return {p.name: len(p.read_text()) for p in sorted(counters.iterdir())}


def _result(stdout: str) -> dict[str, list[object]]:
    line = next(x for x in stdout.splitlines() if x.startswith("RESULT "))
    parsed: dict[str, list[object]] = json.loads(line[len("RESULT ") :])
    return parsed


@pytest.mark.timeout(120)
def test_second_process_reuses_checkpointed_results(scripts: Scripts, tmp_path: Path) -> None:
    run_dir, counters = tmp_path / "runinfo", tmp_path / "counters"
    counters.mkdir()
    script = scripts.write(WORKFLOW)

    first = scripts.run(script, "first", str(run_dir), str(counters), "1,2,3", timeout=50)
    assert _result(first.stdout) == {
        "results": [1, 4, 9],
        "codes": [0, 0, 0],
        "memo": [False] * 6,
    }
    after_first = _executions(counters)
    assert after_first == {f"{app}-{v}": 1 for app in ("square", "touch") for v in (1, 2, 3)}
    checkpoints = get_all_checkpoints(str(run_dir))
    assert len(checkpoints) == 1
    assert checkpoints[0].startswith(str(run_dir))

    second = scripts.run(script, "second", str(run_dir), str(counters), "1,2,3,4", timeout=50)
    assert _result(second.stdout) == {
        "results": [1, 4, 9, 16],
        "codes": [0, 0, 0, 0],
        "memo": [True, True, True, False, True, True, True, False],
    }
    after_second = _executions(counters)
    assert after_second == {**after_first, "square-4": 1, "touch-4": 1}


@pytest.mark.timeout(120)
def test_task_exit_checkpoint_survives_a_killed_process(scripts: Scripts, tmp_path: Path) -> None:
    """checkpoint_mode='task_exit' writes as tasks finish, so SIGKILL loses nothing finished."""
    run_dir, counters = tmp_path / "runinfo", tmp_path / "counters"
    counters.mkdir()
    script = scripts.write(WORKFLOW)

    proc = scripts.start(script, "first-then-hang", str(run_dir), str(counters), "5,6")
    line = scripts.wait_for_line(proc, "RESULT ", timeout=50)
    assert _result(line)["results"] == [25, 36]
    proc.send_signal(signal.SIGKILL)
    proc.communicate(timeout=10)
    assert proc.returncode == -signal.SIGKILL

    assert len(get_all_checkpoints(str(run_dir))) == 1
    second = scripts.run(script, "second", str(run_dir), str(counters), "5,6", timeout=50)
    assert _result(second.stdout)["memo"] == [True] * 4
    assert _executions(counters) == {"square-5": 1, "square-6": 1, "touch-5": 1, "touch-6": 1}


@pytest.mark.timeout(120)
def test_auto_logname_does_not_defeat_the_checkpoint(scripts: Scripts, tmp_path: Path) -> None:
    """stdout=parsl.AUTO_LOGNAME names a new file in every run; it must not change the cache key."""
    run_dir, counters = tmp_path / "runinfo", tmp_path / "counters"
    counters.mkdir()
    script = scripts.write(WORKFLOW)
    scripts.run(script, "first", str(run_dir), str(counters), "7", "auto", timeout=50)
    second = scripts.run(script, "second", str(run_dir), str(counters), "7", "auto", timeout=50)
    assert _result(second.stdout)["memo"] == [True, True]
    assert _executions(counters) == {"square-7": 1, "touch-7": 1}


@bash_app(cache=True)
def logged_echo(word: str, stdout: object = None) -> str:
    return f"echo {word}"


@pytest.mark.timeout(30)
def test_auto_logname_bash_app_is_memoized_within_a_run(dfk: DataFlowKernel) -> None:
    first = logged_echo("hello", stdout=parsl.AUTO_LOGNAME)
    assert first.result(timeout=20) == 0
    again = logged_echo("hello", stdout=parsl.AUTO_LOGNAME)
    assert again.result(timeout=20) == 0
    assert again.task_record.from_memo, "AUTO_LOGNAME made an identical call miss the cache"

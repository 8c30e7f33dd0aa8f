"""Checkpointing end to end: a second Python process reuses the first one's results."""

from __future__ import annotations

import os
import pathlib
import subprocess
import sys

import pytest

from parsl.dataflow.memoization import read_checkpoint
from parsl.utils import get_all_checkpoints

WORKFLOW = """
import os, sys
import parsl
from parsl import Config, bash_app, python_app
from parsl.executors import ThreadPoolExecutor
from parsl.utils import get_all_checkpoints

mode, reuse, numbers = sys.argv[1], sys.argv[2] == "reuse", [int(n) for n in sys.argv[3:]]
counter = os.path.abspath("counter.txt")


@python_app(cache=True)
def tenfold(x, counter=None):
    with open(counter, "a") as f:
        f.write(f"python {x}\\n")
    return x * 10


@python_app(cache=False)
def uncached(x, counter=None):
    with open(counter, "a") as f:
        f.write(f"uncached {x}\\n")
    return x


@bash_app(cache=True)
def shout(x, counter=None):
    return f"echo bash {x} >> {counter}"


config = Config(
    executors=[ThreadPoolExecutor(max_threads=4, label="threads")],
    run_dir="runinfo",
    checkpoint_mode=mode,
    checkpoint_files=get_all_checkpoints("runinfo") if reuse else None,
)
with parsl.load(config) as dfk:
    results = [tenfold(n, counter=counter) for n in numbers]
    codes = [shout(n, counter=counter) for n in numbers]
    plain = uncached(numbers[0], counter=counter)
    print("results", [f.result() for f in results])
    print("codes", [f.result() for f in codes])
    plain.result()
    if mode == "manual":
        print("checkpoint", dfk.checkpoint())
"""


def run_workflow(workdir: pathlib.Path, mode: str, reuse: bool, *numbers: int) -> str:
    proc = subprocess.run(
        [sys.executable, "workflow.py", mode, "reuse" if reuse else "fresh", *map(str, numbers)],
        cwd=workdir,
        capture_output=True,
        text=True,
        timeout=50,
        env=dict(os.environ, PYTHONHASHSEED="random"),
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc.stdout


def counted(workdir: pathlib.Path) -> list[str]:
    return sorted((workdir / "counter.txt").read_text().splitlines())


@pytest.mark.slow
@pytest.mark.timeout(120)
@pytest.mark.parametrize("mode", ["task_exit", "dfk_exit", "manual"])
def test_second_process_reuses_checkpointed_results(tmp_path: pathlib.Path, mode: str) -> None:
    (tmp_path / "workflow.py").write_text(WORKFLOW)

    out = run_workflow(tmp_path, mode, False, 1, 2)
    assert "results [10, 20]" in out and "codes [0, 0]" in out
    assert counted(tmp_path) == ["bash 1", "bash 2", "python 1", "python 2", "uncached 1"]
    checkpoints = get_all_checkpoints(str(tmp_path / "runinfo"))
    assert checkpoints == [str(tmp_path / "runinfo" / "000" / "checkpoint")]
    assert len(read_checkpoint(checkpoints[0])) == 4

    out = run_workflow(tmp_path, mode, True, 1, 2, 3)
    assert "results [10, 20, 30]" in out and "codes [0, 0, 0]" in out
    # Only the new argument ran; the uncached app always runs.
    first_run = ["bash 1", "bash 2", "python 1", "python 2", "uncached 1"]
    assert counted(tmp_path) == sorted([*first_run, "bash 3", "python 3", "uncached 1"])
    second = get_all_checkpoints(str(tmp_path / "runinfo"))
    assert second[-1] == str(tmp_path / "runinfo" / "001" / "checkpoint")
    # As in Parsl, the reused results are checkpointed again with the new ones, so a run
    # started from this run's checkpoint alone (get_last_checkpoint) still has all six.
    assert len(read_checkpoint(second[-1])) == 6

    out = run_workflow(tmp_path, mode, True, 1, 2, 3)
    assert "results [10, 20, 30]" in out
    assert counted(tmp_path).count("python 1") == 1  # never recomputed across three runs

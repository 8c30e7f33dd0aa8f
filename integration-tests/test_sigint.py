"""Ctrl-C: a workflow with running Python and bash apps stops promptly and leaves nothing behind."""

from __future__ import annotations

import json
import signal
import subprocess
import time
from pathlib import Path

import pytest
from child_processes import Scripts, group_alive, pid_alive, wait_until

from parsl.utils import get_all_checkpoints

WORKFLOW = """
import json, os, sys, time
import parsl
from parsl import bash_app, python_app
from parsl.config import Config
from parsl.executors import ThreadPoolExecutor
from parsl.utils import get_all_checkpoints

mode, run_dir, work = sys.argv[1], sys.argv[2], sys.argv[3]


@python_app(cache=True)
def cached(x, work):
    with open(os.path.join(work, f"cached-{x}"), "a") as f:
        f.write("x")
    return x * 2


@python_app
def spin(i, work):
    open(os.path.join(work, f"spin-{i}.started"), "w").close()
    while True:
        time.sleep(0.05)


@bash_app
def long_sleep(work):
    return f"echo $$ > {work}/bash.pid.tmp && mv {work}/bash.pid.tmp {work}/bash.pid; sleep 300"


def started():
    names = ("spin-0.started", "spin-1.started", "bash.pid")
    return all(os.path.exists(os.path.join(work, n)) for n in names)


def workflow():
    assert cached(21, work).result() == 42
    spinners = [spin(i, work) for i in range(2)]
    sleeping = long_sleep(work)
    deadline = time.monotonic() + 30
    while not started():
        if time.monotonic() > deadline:
            sys.exit("apps did not start")
        time.sleep(0.02)
    print("READY", flush=True)
    if mode not in ("wait", "grace"):
        sleeping.result()


executors = [ThreadPoolExecutor(max_threads=4, label="threads")]
if mode == "verify":
    config = Config(executors=executors, run_dir=run_dir,
                    checkpoint_files=get_all_checkpoints(run_dir))
    with parsl.load(config):
        fut = cached(21, work)
        print("VERIFY " + json.dumps([fut.result(), fut.task_record.from_memo]), flush=True)
    sys.exit(0)

exit_mode = "wait" if mode == "wait" else "cleanup"
config = Config(
    executors=executors, run_dir=run_dir, checkpoint_mode="dfk_exit", exit_mode=exit_mode
)
if mode in ("with", "wait", "grace"):
    with parsl.load(config):
        workflow()
else:
    parsl.load(config)
    workflow()
"""


def _log(run_dir: Path) -> str:
    log = run_dir / "000" / "parsl.log"
    return log.read_text() if log.exists() else ""


def _grace_started(run_dir: Path) -> bool:
    return "executor threads: waiting up to 30 s for 3 queued or running tasks" in _log(run_dir)


def _interrupt_workflow(scripts: Scripts, mode: str, tmp_path: Path, pgids: list[int]) -> None:
    run_dir, work = tmp_path / "runinfo", tmp_path / "work"
    work.mkdir()
    script = scripts.write(WORKFLOW)
    proc = scripts.start(script, mode, str(run_dir), str(work))
    scripts.wait_for_line(proc, "READY", timeout=30)
    bash_pid = int((work / "bash.pid").read_text())
    pgids.append(bash_pid)
    assert pid_alive(bash_pid)
    if mode == "grace":
        assert wait_until(lambda: _grace_started(run_dir), 10), "no grace wait:\n" + _log(run_dir)
        assert proc.poll() is None, "cleanup ended before the grace period:\n" + _log(run_dir)

    start = time.monotonic()
    proc.send_signal(signal.SIGINT)
    try:
        _, stderr = proc.communicate(timeout=10)
    except subprocess.TimeoutExpired:
        pytest.fail("the workflow did not exit within 10 s of SIGINT")
    elapsed = time.monotonic() - start
    assert elapsed < 10
    assert proc.returncode != 0, f"exited 0 after SIGINT:\n{stderr}\n{_log(run_dir)}"
    assert "KeyboardInterrupt" in stderr, stderr
    assert "Traceback" in stderr, stderr

    # The bash app ran in its own session: bash ($$) leads the group, sleep is in it.
    assert wait_until(lambda: not pid_alive(bash_pid), 2), "the bash app's shell survived"
    assert wait_until(lambda: not group_alive(bash_pid), 2), "the bash app's sleep survived"

    checkpoints = get_all_checkpoints(str(run_dir))
    assert len(checkpoints) == 1, "checkpoint_mode='dfk_exit' wrote no checkpoint on Ctrl-C"
    assert (work / "cached-21").read_text() == "x"

    verify = scripts.run(script, "verify", str(run_dir), str(work), timeout=30)
    line = next(x for x in verify.stdout.splitlines() if x.startswith("VERIFY "))
    assert json.loads(line[len("VERIFY ") :]) == [42, True]
    assert (work / "cached-21").read_text() == "x", "the checkpointed app ran again"


@pytest.mark.timeout(90)
def test_sigint_inside_with_block(
    scripts: Scripts, tmp_path: Path, kill_group_at_end: list[int]
) -> None:
    _interrupt_workflow(scripts, "with", tmp_path, kill_group_at_end)


@pytest.mark.timeout(90)
def test_sigint_without_with_block_cleans_up_at_exit(
    scripts: Scripts, tmp_path: Path, kill_group_at_end: list[int]
) -> None:
    _interrupt_workflow(scripts, "plain", tmp_path, kill_group_at_end)


@pytest.mark.timeout(90)
def test_sigint_while_exit_mode_wait_waits(
    scripts: Scripts, tmp_path: Path, kill_group_at_end: list[int]
) -> None:
    """exit_mode='wait' with tasks that never end waits forever; Ctrl-C must still get out."""
    _interrupt_workflow(scripts, "wait", tmp_path, kill_group_at_end)


@pytest.mark.timeout(90)
def test_sigint_during_the_shutdown_grace_period(
    scripts: Scripts, tmp_path: Path, kill_group_at_end: list[int]
) -> None:
    """The block ended normally, so cleanup gives running tasks 30 s; Ctrl-C cuts that short."""
    _interrupt_workflow(scripts, "grace", tmp_path, kill_group_at_end)

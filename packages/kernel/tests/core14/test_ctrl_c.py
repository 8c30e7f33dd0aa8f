"""Ctrl-C reaches the caller wherever a Parsl script blocks: a real SIGINT to a real script."""

from __future__ import annotations

from pathlib import Path

import pytest

from .sigint import PRELUDE, run_and_interrupt

pytestmark = pytest.mark.timeout(90)


def test_ctrl_c_reaches_a_script_blocked_in_result(tmp_path: Path) -> None:
    rc, out = run_and_interrupt(
        tmp_path,
        PRELUDE
        + """
parsl.load(Config(executors=[ThreadPoolExecutor(shutdown_timeout=1)], run_dir="runinfo"))
fut = nap(60)
try:
    say("READY")
    fut.result()
    say("RETURNED")
except KeyboardInterrupt:
    say("INTERRUPTED in result()")
""",
    )
    assert "INTERRUPTED in result()" in out, out
    assert "RETURNED" not in out
    assert rc == 0, out


def test_ctrl_c_reaches_a_script_blocked_in_wait_for_current_tasks(tmp_path: Path) -> None:
    rc, out = run_and_interrupt(
        tmp_path,
        PRELUDE
        + """
dfk = parsl.load(Config(executors=[ThreadPoolExecutor(shutdown_timeout=1)], run_dir="runinfo"))
futs = [nap(60) for _ in range(3)]
try:
    say("READY")
    dfk.wait_for_current_tasks()
    say("RETURNED")
except KeyboardInterrupt:
    say("INTERRUPTED in wait_for_current_tasks()")
dfk.cleanup(wait=False)
say("failed after cleanup:", sorted({type(f.exception(timeout=0)).__name__ for f in futs}))
""",
    )
    assert "INTERRUPTED in wait_for_current_tasks()" in out, out
    assert "failed after cleanup: ['BadStateException']" in out, out  # the pool shut down
    assert rc == 0, out


def test_ctrl_c_reaches_a_script_blocked_in_cleanup_and_cleanup_still_finishes(
    tmp_path: Path,
) -> None:
    rc, out = run_and_interrupt(
        tmp_path,
        PRELUDE
        + """
dfk = parsl.load(Config(executors=[ThreadPoolExecutor(shutdown_timeout=120)], run_dir="runinfo"))
fut = nap(60)
try:
    say("READY")
    dfk.cleanup()
    say("RETURNED")
except KeyboardInterrupt:
    say("INTERRUPTED in cleanup()")
say("task:", type(fut.exception(timeout=5)).__name__, "cleaned up:", dfk.cleanup_called)
say("threads left:", sorted(t.name for t in threading.enumerate() if not t.daemon))
""",
    )
    assert "INTERRUPTED in cleanup()" in out, out
    assert "task: BadStateException cleaned up: True" in out, out
    assert "threads left: ['MainThread']" in out, out
    assert rc == 0, out


def test_ctrl_c_reaches_a_script_blocked_in_a_submit_that_waits_for_room(tmp_path: Path) -> None:
    # An executor with backpressure: submit blocks until the gate opens (it never does here).
    rc, out = run_and_interrupt(
        tmp_path,
        PRELUDE
        + """
class Backpressure(ThreadPoolExecutor):
    gate = threading.Event()
    def submit(self, func, spec, *args, **kwargs):
        self.gate.wait()
        return super().submit(func, spec, *args, **kwargs)

dfk = parsl.load(
    Config(executors=[Backpressure(shutdown_timeout=1)], run_dir="runinfo", garbage_collect=False)
)
try:
    say("READY")
    nap(0)
    say("RETURNED")
except KeyboardInterrupt:
    say("INTERRUPTED in submit")
task = dfk.tasks[0]
say("task:", task.status.name, type(task.app_fu.exception(timeout=0)).__name__)
""",
    )
    assert "INTERRUPTED in submit" in out, out
    assert "task: failed LaunchInterrupted" in out, out
    assert rc == 0, out

"""Ctrl-C reaches a script blocked in app() by htex's backpressure (max_outstanding_tasks).

And wherever it lands in the wait for room, it is raised as itself and keeps no lock.
"""

from __future__ import annotations

import os
import queue
import signal
import subprocess
import sys
import textwrap
import threading
import time
from concurrent.futures import Future
from pathlib import Path
from typing import Any, cast

import pytest
from conftest import wait_gone

import parsl.executors.high_throughput.client as client_module
import parsl.executors.high_throughput.room as room_module
from parsl.executors.high_throughput.client import InterchangeClient
from parsl.testing.ctrl_c import InterruptAt, interrupting, lock_is_free

SCRIPT = """
import parsl
from parsl import python_app
from parsl.config import Config
from parsl.executors import HighThroughputExecutor
from parsl.providers import LocalProvider

@python_app
def nap(s):
    import time
    time.sleep(s)
    return s

htex = HighThroughputExecutor(
    max_workers_per_node=1, max_outstanding_tasks=1,
    provider=LocalProvider(init_blocks=1, max_blocks=1),
)
dfk = parsl.load(Config(executors=[htex], run_dir="runinfo", garbage_collect=False))
first = nap(60)
print("interchange", htex.interchange_pid, flush=True)
try:
    print("READY", flush=True)
    nap(0)  # waits for room: max_outstanding_tasks is reached
    print("RETURNED", flush=True)
except KeyboardInterrupt:
    print("INTERRUPTED in submit", flush=True)
print("blocked task:", type(dfk.tasks[1].app_fu.exception(timeout=0)).__name__, flush=True)
dfk.cleanup(wait=False)
print("first:", type(first.exception(timeout=10)).__name__, flush=True)
"""


@pytest.mark.timeout(120)
def test_ctrl_c_reaches_a_script_blocked_by_max_outstanding_tasks(tmp_path: Path) -> None:
    script = tmp_path / "script.py"
    script.write_text(textwrap.dedent(SCRIPT))
    proc = subprocess.Popen(
        [sys.executable, str(script)],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    # One thread reads every line as it comes. (select() on the buffered text stream
    # missed READY when it arrived in the same read as the line before it.)
    lines: queue.Queue[str] = queue.Queue()
    stdout = proc.stdout
    assert stdout is not None

    def read_lines() -> None:
        for line in stdout:
            lines.put(line)

    reader = threading.Thread(target=read_lines, daemon=True)
    reader.start()
    out: list[str] = []
    try:
        deadline = time.monotonic() + 60
        while not out or "READY" not in out[-1]:
            try:
                out.append(lines.get(timeout=max(0.0, deadline - time.monotonic())))
            except queue.Empty:
                raise AssertionError(f"no READY within 60 s: {''.join(out)}") from None
        time.sleep(1.0)  # the script is now blocked in the second app() call
        assert proc.poll() is None
        os.kill(proc.pid, signal.SIGINT)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)
        reader.join(timeout=10)
        stdout.close()
    while not lines.empty():
        out.append(lines.get_nowait())
    text = "".join(out)
    assert "INTERRUPTED in submit" in text and "RETURNED" not in text, text
    assert "blocked task: LaunchInterrupted" in text, text
    assert proc.returncode == 0, text
    interchange = int(next(ln for ln in out if ln.startswith("interchange")).split()[1])
    assert wait_gone([interchange], 10) == [], "the interchange outlived the script"


@pytest.mark.timeout(60)
def test_ctrl_c_anywhere_in_the_backpressure_wait_raises_and_keeps_no_lock() -> None:
    """Each CPython interrupt point of the wait for room: KeyboardInterrupt, and no lock held.

    The wait used a threading.Condition, whose Python code can keep its lock
    when Ctrl-C lands there (the next submit then waits for ever) or raise
    RuntimeError in the interrupt's place.
    """
    traced = {client_module.__file__, room_module.__file__, threading.__file__}
    n = 0
    while True:
        n += 1
        client = InterchangeClient("htex", cast(Any, None), [], 1.0, max_outstanding=1)
        client.futures[1] = Future()

        def room(c: InterchangeClient = client) -> None:
            c.futures.pop(1, None)
            c._room.make()

        threading.Timer(0.05, room).start()
        trace = InterruptAt(n, traced)
        raised: BaseException | None = None
        try:
            with interrupting(trace):
                client._wait_for_room(1)
        except BaseException as e:
            raised = e
        assert raised is None or isinstance(raised, KeyboardInterrupt), f"step {n}: {raised!r}"
        assert trace.fired == (raised is not None), f"step {n}"
        assert lock_is_free(client._room._lock), f"step {n}: the room lock was kept"
        deadline = time.monotonic() + 5
        while client.futures and time.monotonic() < deadline:
            time.sleep(0.01)
        client._wait_for_room(1)  # room was made: returns at once, nothing left listed
        assert client._room._waiters == []
        os.close(client._wake_r)
        os.close(client._wake_w)
        if not trace.fired:
            break
    assert n > 5

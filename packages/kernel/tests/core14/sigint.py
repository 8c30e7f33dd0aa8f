"""Run a real Parsl script in a subprocess, send it a real SIGINT, and read what it printed."""

from __future__ import annotations

import os
import queue
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path


def run_and_interrupt(tmp_path: Path, body: str, deadline: float = 30.0) -> tuple[int, str]:
    """Start ``body`` as a script; once it prints READY (and 0.5 s later) send SIGINT.

    Returns (exit status, everything it printed). The process is killed by
    pid if it has not exited ``deadline`` seconds after the SIGINT.
    """
    script = tmp_path / "script.py"
    script.write_text(textwrap.dedent(body))
    proc = subprocess.Popen(
        [sys.executable, str(script)],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    # A reader thread takes every line as it comes: select() on the buffered text
    # stream misses a READY that arrived in the same read as the line before it.
    lines: queue.Queue[str | None] = queue.Queue()
    stdout = proc.stdout
    assert stdout is not None

    def read_lines() -> None:
        for line in stdout:
            lines.put(line)
        lines.put(None)

    reader = threading.Thread(target=read_lines, daemon=True)
    reader.start()
    out: list[str] = []
    try:
        end = time.monotonic() + deadline
        while not any("READY" in line for line in out):
            try:
                line = lines.get(timeout=max(0.0, end - time.monotonic()))
            except queue.Empty:
                raise AssertionError(f"script never printed READY: {''.join(out)}") from None
            if line is None:
                raise AssertionError(f"script exited before READY: {''.join(out)}")
            out.append(line)
        time.sleep(0.5)  # let the main thread reach the blocking call
        os.kill(proc.pid, signal.SIGINT)
        proc.wait(timeout=deadline)
        reader.join(timeout=10)
        while (line := lines.get_nowait() if not lines.empty() else None) is not None:
            out.append(line)
        return proc.returncode, "".join(out)
    finally:
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)
        reader.join(timeout=10)
        stdout.close()


PRELUDE = """
import sys, time, threading
import parsl
from parsl import python_app
from parsl.config import Config
from parsl.executors import ThreadPoolExecutor

@python_app
def nap(s):
    import time
    time.sleep(s)
    return s

def say(*words):
    print(*words, flush=True)
"""

"""Run a real Parsl script in a subprocess, send it a real SIGINT, and read what it printed."""

from __future__ import annotations

import os
import select
import signal
import subprocess
import sys
import textwrap
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
    out: list[str] = []
    try:
        assert proc.stdout is not None
        start = time.monotonic()
        while not any("READY" in line for line in out):
            if time.monotonic() - start > deadline:
                raise AssertionError(f"script never printed READY: {''.join(out)}")
            ready, _, _ = select.select([proc.stdout], [], [], 0.5)
            if ready:
                line = proc.stdout.readline()
                if not line:
                    raise AssertionError(f"script exited before READY: {''.join(out)}")
                out.append(line)
        time.sleep(0.5)  # let the main thread reach the blocking call
        os.kill(proc.pid, signal.SIGINT)
        rest, _ = proc.communicate(timeout=deadline)
        out.append(rest)
        return proc.returncode, "".join(out)
    finally:
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)


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

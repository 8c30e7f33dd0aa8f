"""Child processes for tests: a script runner, and checks on processes by pid."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest


def pid_alive(pid: int) -> bool:
    """True if process ``pid`` exists and is not a zombie."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            stat = f.read()
    except FileNotFoundError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def group_alive(pgid: int) -> bool:
    """True if any live (non-zombie) process is in process group ``pgid``."""
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except (FileNotFoundError, ProcessLookupError):
            continue
        if int(fields[2]) == pgid and fields[0] != "Z":
            return True
    return False


def wait_until(condition: Callable[[], bool], timeout: float, interval: float = 0.02) -> bool:
    """Poll ``condition`` until it is true or ``timeout`` passes; return its last value."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(interval)
    return condition()


def run_in_own_group(
    args: list[str], timeout: float, **popen_kwargs: Any
) -> subprocess.CompletedProcess[str]:
    """Run ``args`` in a process group of its own; fail the test if it overruns.

    On a timeout the group is killed (by its pgid, the child's pid) and the test
    fails with what the child printed; afterwards anything the child left running
    in its group goes too. The return code is for the caller to check.
    """
    with subprocess.Popen(
        args,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
        **popen_kwargs,
    ) as proc:
        try:
            out, err = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            out, err = proc.communicate()
            pytest.fail(f"{' '.join(args)} did not finish in {timeout} s\n{out}\n{err}")
        finally:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(proc.pid, signal.SIGKILL)
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)


class Scripts:
    """Starts Python scripts in child processes and stops every one of them, by pid, at the end."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.procs: list[subprocess.Popen[str]] = []
        self._count = 0

    def write(self, source: str) -> Path:
        """Write a script file (dedented) and return its path."""
        self._count += 1
        path = self.folder / f"script_{self._count}.py"
        path.write_text(textwrap.dedent(source))
        return path

    def start(self, script: Path, *args: str) -> subprocess.Popen[str]:
        """Start ``python script args...`` with piped, line-buffered text output."""
        proc = subprocess.Popen(
            [sys.executable, "-u", str(script), *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            stdin=subprocess.DEVNULL,
            text=True,
            cwd=self.folder,
        )
        self.procs.append(proc)
        return proc

    def run(
        self, script: Path, *args: str, timeout: float = 60
    ) -> subprocess.CompletedProcess[str]:
        """Run a script to completion within ``timeout`` seconds; fail the test if it errors."""
        proc = self.start(script, *args)
        try:
            out, err = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.stop(proc)
            pytest.fail(f"{script.name} {args} did not finish within {timeout} s")
        assert proc.returncode == 0, f"{script.name} {args} exited {proc.returncode}:\n{err}"
        return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)

    @staticmethod
    def wait_for_line(proc: subprocess.Popen[str], prefix: str, timeout: float) -> str:
        """Read stdout lines until one starts with ``prefix``; fail on timeout or early exit."""
        assert proc.stdout is not None
        found: list[str] = []

        def reader() -> None:
            assert proc.stdout is not None
            for line in proc.stdout:
                if line.startswith(prefix):
                    found.append(line.strip())
                    return

        t = threading.Thread(target=reader, daemon=True)
        t.start()
        t.join(timeout)
        if not found:
            returncode = proc.poll()
            pytest.fail(f"no {prefix!r} line within {timeout} s (returncode={returncode})")
        return found[0]

    @staticmethod
    def stop(proc: subprocess.Popen[str]) -> None:
        """Kill one child (by pid) and reap it."""
        if proc.poll() is None:
            proc.kill()
        proc.communicate(timeout=10)

    def stop_all(self) -> None:
        for proc in self.procs:
            self.stop(proc)

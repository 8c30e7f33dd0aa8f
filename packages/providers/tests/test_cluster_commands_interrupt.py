"""Ctrl-C (a real SIGINT) while run_command starts or waits for a command leaves no process behind."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from types import FrameType
from typing import Any

import pytest
from cluster_fakes import is_alive
from conftest import reaped

from parsl.providers.cluster.commands import run_command

SLEEP = shutil.which("sleep") or "/bin/sleep"


def children() -> dict[int, list[bytes]]:
    """This process's children, running or zombie, from /proc: pid -> argv (empty for a zombie)."""
    found = {}
    for entry in Path("/proc").iterdir():
        with contextlib.suppress(OSError, ValueError):
            stat = (entry / "stat").read_text()
            if int(stat[stat.rfind(")") + 2 :].split()[1]) == os.getpid():
                found[int(entry.name)] = (entry / "cmdline").read_bytes().split(b"\0")[:-1]
    return found


@contextlib.contextmanager
def sigint_at_c_call(target: Callable[..., Any], seen: dict[str, Any]) -> Iterator[None]:
    """Send this process a real SIGINT when the main thread first calls the C function ``target``.

    Popen calls ``os.pipe`` before it forks and ``os.read`` (waiting for the child's exec)
    after, so this puts Ctrl-C at a chosen side of the fork, independent of timing.
    ``seen["pid"]`` is the Popen's child pid at that moment (None before the fork).
    """

    def profile(frame: FrameType, event: str, arg: Any) -> None:
        if event == "c_call" and arg is target and "pid" not in seen:
            seen["pid"] = getattr(frame.f_locals.get("self"), "pid", None)
            os.kill(os.getpid(), signal.SIGINT)

    sys.setprofile(profile)
    try:
        yield
    finally:
        sys.setprofile(None)


def kill_if_left(pid: int | None) -> None:
    """Teardown for a failing run: stop and reap a command the code under test left behind."""
    if pid is not None and not reaped(pid):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)


def test_ctrl_c_while_the_command_starts_kills_and_reaps_it() -> None:
    seen: dict[str, Any] = {}
    try:
        with pytest.raises(KeyboardInterrupt), sigint_at_c_call(os.read, seen):
            run_command([SLEEP, "60"], 30, "fake")
        pid = seen["pid"]
        assert isinstance(pid, int), "SIGINT did not arrive after the fork"
        assert reaped(pid), f"the command (pid {pid}) was left running or unreaped"
        assert not is_alive(pid)
    finally:
        kill_if_left(seen.get("pid"))


def test_ctrl_c_before_the_fork_starts_nothing() -> None:
    before = set(children())
    seen: dict[str, Any] = {}
    with pytest.raises(KeyboardInterrupt), sigint_at_c_call(os.pipe, seen):
        run_command([SLEEP, "62"], 30, "fake")
    assert "pid" in seen and seen["pid"] is None  # Popen was still making its pipes
    # A forked command would be our child now, running or a zombie, until someone reaped it.
    assert set(children()) <= before


def test_ctrl_c_during_a_long_command_kills_and_reaps_it() -> None:
    started: list[int] = []

    def interrupt_once_running() -> None:
        # The command is running once /proc shows our child executing `sleep 61`.
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and not started:
            started.extend(p for p, argv in children().items() if argv == [SLEEP.encode(), b"61"])
            time.sleep(0.01)
        os.kill(os.getpid(), signal.SIGINT)

    interrupter = threading.Thread(target=interrupt_once_running)
    interrupter.start()
    try:
        with pytest.raises(KeyboardInterrupt):
            run_command([SLEEP, "61"], 30, "fake")
        interrupter.join(30)
        assert started, "the command never showed up as our child"
        assert reaped(started[0]) and not is_alive(started[0])
    finally:
        interrupter.join(30)
        kill_if_left(started[0] if started else None)

"""parsl.executors.cctools.testing: the helpers both cctools suites start their workers with."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from parsl.executors.cctools.errors import CctoolsNotInstalled
from parsl.executors.cctools.testing import Workers, alive, descendants, prepend_pythonpath


def test_an_unknown_worker_program_fails_at_once(tmp_path: Path) -> None:
    with pytest.raises(CctoolsNotInstalled, match="no_such_worker"):
        Workers("no_such_worker", tmp_path)


def test_alive_and_descendants_follow_real_processes() -> None:
    child_code = (
        "import subprocess, sys, time; "
        "subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)']); time.sleep(60)"
    )
    parent = subprocess.Popen([sys.executable, "-c", child_code])
    try:
        assert alive(parent.pid)
        found: list[int] = []
        deadline = (
            time.monotonic() + 30
        )  # the grandchild appears once the parent's interpreter starts it
        while not found and time.monotonic() < deadline:
            found = descendants(parent.pid)
            time.sleep(0.05)
        assert len(found) == 1 and alive(found[0])
    finally:
        for pid in descendants(parent.pid):
            os.kill(pid, signal.SIGKILL)
        parent.kill()
        parent.wait(timeout=10)
    assert not alive(parent.pid)
    assert descendants(parent.pid) == []


def test_prepend_pythonpath_puts_dirs_first(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("PYTHONPATH", "/already")
    prepend_pythonpath(tmp_path, "/second")
    assert os.environ["PYTHONPATH"] == os.pathsep.join([str(tmp_path), "/second", "/already"])
    monkeypatch.delenv("PYTHONPATH")
    prepend_pythonpath(tmp_path)
    assert os.environ["PYTHONPATH"] == str(tmp_path)

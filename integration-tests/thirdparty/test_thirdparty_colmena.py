"""Colmena (PyPI, requires parsl) runs its Parsl task server on our kernel and htex.

``colmena.task_server.parsl.ParslTaskServer`` builds ``PythonApp`` and
``BashApp`` objects by hand, loads a ``Config`` in a child process it starts
itself, and waits on the futures. ``colmena_workflow.py`` drives it through
Colmena's own queues in a fresh interpreter, in a process group of its own
(stopped by pid if it overruns). Installed with ``--no-deps`` beside ours by
tools/setup-env.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from child_processes import run_in_own_group

HERE = Path(__file__).resolve().parent


@pytest.mark.timeout(240)
def test_colmena_task_server_runs_python_and_executable_methods(tmp_path: Path) -> None:
    done = run_in_own_group(
        [sys.executable, str(HERE / "colmena_workflow.py"), str(tmp_path)], timeout=200
    )
    assert done.returncode == 0, done.stdout + done.stderr
    lines = dict(line.split(": ", 1) for line in done.stdout.splitlines() if ": " in line)
    assert lines["squares"] == "[0, 1, 4, 9, 16]"
    assert lines["refuse"] == "False ValueError('refused 7')"
    assert lines["count_words"] == "True 5"  # through Colmena's BashApp step
    assert lines["server exit code"] == "0"

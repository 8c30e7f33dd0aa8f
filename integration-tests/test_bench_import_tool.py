"""tools/bench-import prints each import figure, beside a peer's, and says when a peer's import fails."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest
from child_processes import run_in_own_group

ROOT = Path(__file__).resolve().parents[1]
TOOL = str(ROOT / "tools" / "bench-import")
FIGURES = ("parsl", "script", "task_runner", "worker_pool")


def rows(out: str) -> dict[str, list[str]]:
    return {
        line.split()[0]: line.split()[1:]
        for line in out.splitlines()
        if line.split()[:1] and line.split()[0] in FIGURES
    }


@pytest.mark.timeout(120)
def test_prints_every_figure_and_a_failing_peer(tmp_path: Path) -> None:
    # A peer interpreter that cannot import Parsl: this one without site-packages.
    peer = tmp_path / "python-without-site"
    peer.write_text(f'#!/bin/sh\nexec "{sys.executable}" -S "$@"\n')
    peer.chmod(0o755)
    done = run_in_own_group([sys.executable, TOOL, "--runs", "1", "--peer", str(peer)], 100)
    assert done.returncode == 0, done.stderr
    found = rows(done.stdout)
    assert sorted(found) == sorted(FIGURES), done.stdout
    for name, (here, *peer_cells) in found.items():
        assert float(here) > 0, done.stdout
        assert peer_cells[0] == "fails:" and "ModuleNotFoundError" in " ".join(peer_cells), name
    # Importing parsl alone is part of what a workflow script imports: it cannot cost more.
    assert float(found["parsl"][0]) < float(found["script"][0]), done.stdout


@pytest.mark.timeout(60)
def test_bad_runs_is_a_usage_error() -> None:
    done = run_in_own_group([sys.executable, TOOL, "--runs", "0"], 50)
    assert done.returncode == 2
    assert re.search(r"--runs: must be at least 1, got 0", done.stderr), done.stderr

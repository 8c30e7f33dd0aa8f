"""A real falcon program, a real parsl-falcon-agent process, data directories, a DFK."""

from __future__ import annotations

import os
import select
import subprocess
import sys
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import pytest

import parsl
from parsl.config import Config
from parsl.data_provider.staging import Staging
from parsl.dataflow.dflow import DataFlowKernel
from parsl.executors import ThreadPoolExecutor

REPO = Path(__file__).resolve().parents[3]


@pytest.fixture(scope="session")
def falcon_program() -> str:
    """The ``falcon`` program tools/setup-env installs (or $PARSL_FALCON_EXECUTABLE)."""
    path = os.environ.get("PARSL_FALCON_EXECUTABLE") or str(
        REPO / ".venv" / "falcon-datamover" / "bin" / "falcon"
    )
    if not os.access(path, os.X_OK):
        pytest.fail(f"no falcon program at {path}: run tools/setup-env (it installs it there)")
    return path


@pytest.fixture
def data_root(tmp_path: Path) -> Path:
    """The agent's root, holding ``run42/`` (nested files, a few MB) and an empty ``empty/``."""
    root = tmp_path / "data"
    run = root / "run42"
    (run / "sub" / "deeper").mkdir(parents=True)
    (run / "big.bin").write_bytes(os.urandom(3 * (1 << 20) + 11))
    (run / "notes.txt").write_text("falcon was here\n")
    (run / "sub" / "a.csv").write_text("x,y\n1,2\n")
    (run / "sub" / "deeper" / "b.bin").write_bytes(os.urandom(70_000))
    (root / "empty").mkdir()
    return root


def start_agent(root: Path, falcon: str, *extra: str) -> tuple[subprocess.Popen[bytes], int]:
    """Start parsl-falcon-agent on 127.0.0.1 (any free port) and return it with its port."""
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "parsl.data_provider.falcon._agent",
            "--root",
            str(root),
            "--port",
            "0",
            "--falcon",
            falcon,
            *extra,
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        stdin=subprocess.DEVNULL,
    )
    assert proc.stdout is not None
    ready, _, _ = select.select([proc.stdout], [], [], 20)
    line = proc.stdout.readline().decode().strip() if ready else ""
    if not line.startswith("listening on 127.0.0.1:"):
        stop_by_pid(proc)
        raise RuntimeError(f"the Falcon agent did not start (said {line!r})")
    return proc, int(line.rsplit(":", 1)[1])


def stop_by_pid(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=10)
    if proc.stdout is not None:
        proc.stdout.close()


@pytest.fixture
def agent_port(data_root: Path, falcon_program: str) -> Iterator[int]:
    """A real agent serving ``data_root``; its port on 127.0.0.1."""
    proc, port = start_agent(data_root, falcon_program)
    try:
        yield port
    finally:
        stop_by_pid(proc)


@pytest.fixture
def load_parsl(tmp_path: Path) -> Iterator[Callable[..., DataFlowKernel]]:
    loaded: list[DataFlowKernel] = []

    def load(storage_access: Sequence[Staging], working_dir: str | None = None) -> DataFlowKernel:
        executor = ThreadPoolExecutor(
            label="falcon_test", storage_access=list(storage_access), working_dir=working_dir
        )
        dfk = parsl.load(
            Config(executors=[executor], run_dir=str(tmp_path / "runinfo"), strategy=None)
        )
        loaded.append(dfk)
        return dfk

    yield load
    for dfk in loaded:
        dfk.cleanup()
    parsl.clear()

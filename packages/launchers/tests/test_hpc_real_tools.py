"""Launchers whose tools are installed here, really run: each started copy leaves one file.

Open MPI (Debian's ``openmpi-bin``) runs ``mpiexec``/``mpirun``; as root it
needs ``OMPI_ALLOW_RUN_AS_ROOT*`` and, with more copies than cores,
``--oversubscribe``. GNU Parallel (``parallel``) runs on this node only
(no ``$PBS_NODEFILE``). SrunLauncher is run under a real Slurm in
``integration-tests/slurm/test_launchers_on_slurm.py``.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
from pathlib import Path

import pytest

from parsl.launchers.base import Launcher
from parsl.launchers.hpc import GnuParallelLauncher, MpiExecLauncher, MpiRunLauncher

pytestmark = pytest.mark.timeout(60)

#: Each copy writes its rank and core count into a file named after its rank.
RECORD = 'echo "$PARSL_WORKER_RANK $CORES" > "$COPIES_DIR/copy.$PARSL_WORKER_RANK"'

OPEN_MPI_AS_ROOT = {"OMPI_ALLOW_RUN_AS_ROOT": "1", "OMPI_ALLOW_RUN_AS_ROOT_CONFIRM": "1"}


def open_mpi() -> bool:
    if shutil.which("mpirun") is None:
        return False
    version = subprocess.run(
        ["mpirun", "--version"], capture_output=True, text=True, timeout=10, check=False
    )
    return "Open MPI" in version.stdout


def test_the_real_tools_are_installed() -> None:
    """The tests below run the real tools; tools/setup-env installs them (apt-get, as root)."""
    assert open_mpi(), "Open MPI (openmpi-bin) is not installed: run tools/setup-env as root"
    assert shutil.which("parallel"), "GNU parallel is not installed: run tools/setup-env as root"


def run_block(script: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run a rendered block script under bash; on timeout stop its whole process group by pid."""
    with subprocess.Popen(
        ["bash", "-c", script],
        env=env,
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    ) as proc:
        try:
            out, err = proc.communicate(timeout=40)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            out, err = proc.communicate()
            pytest.fail(f"block did not finish in 40 s; stdout {out!r} stderr {err!r}")
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)


def copies_started(
    launcher: Launcher, tasks_per_node: int, tmp_path: Path, extra_env: dict[str, str]
) -> dict[str, str]:
    """Run the block and return {rank: cores} for every copy that started."""
    copies = tmp_path / "copies"
    copies.mkdir()
    env = {
        "PATH": os.environ["PATH"],
        "HOME": str(tmp_path),
        "TMPDIR": str(tmp_path),
        "COPIES_DIR": str(copies),
    } | extra_env
    result = run_block(launcher(RECORD, tasks_per_node, 1), env, tmp_path)
    assert result.returncode == 0, result.stderr
    found = {}
    for path in copies.iterdir():
        rank, cores = path.read_text().split()
        assert path.name == f"copy.{rank}"
        found[rank] = cores
    return found


def online_cores() -> str:
    return str(os.sysconf("SC_NPROCESSORS_ONLN"))


@pytest.mark.parametrize("copies", [1, 3])
def test_mpiexec_starts_each_rank_once(tmp_path: Path, copies: int) -> None:
    launcher = MpiExecLauncher(overrides="--oversubscribe")
    found = copies_started(launcher, copies, tmp_path, OPEN_MPI_AS_ROOT)
    assert found == {str(r): online_cores() for r in range(copies)}


def test_mpirun_starts_each_rank_once(tmp_path: Path) -> None:
    launcher = MpiRunLauncher(overrides="--oversubscribe")
    found = copies_started(launcher, 4, tmp_path, OPEN_MPI_AS_ROOT)
    assert found == {str(r): online_cores() for r in range(4)}


def test_mpirun_as_root_without_permission_fails_the_block(tmp_path: Path) -> None:
    if os.geteuid() != 0:
        pytest.skip("Open MPI refuses root only when run as root")
    copies = tmp_path / "copies"
    copies.mkdir()
    env = {"PATH": os.environ["PATH"], "HOME": str(tmp_path), "COPIES_DIR": str(copies)}
    result = run_block(MpiRunLauncher()(RECORD, 2, 1), env, tmp_path)
    assert result.returncode != 0
    assert "root" in result.stderr + result.stdout
    assert list(copies.iterdir()) == []


@pytest.mark.parametrize("copies", [1, 3])
def test_gnu_parallel_starts_each_copy_once_on_this_node(tmp_path: Path, copies: int) -> None:
    found = copies_started(GnuParallelLauncher(), copies, tmp_path, {})
    assert found == {str(r): online_cores() for r in range(copies)}

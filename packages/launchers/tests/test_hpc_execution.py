"""Rendered scripts really run under bash.

No scheduler is installed here, so the scheduler tools are not run; instead:
the copy script each tool would start is run as the tool would run it, with
the tool's rank variables set; the whole block script is run on a PATH
without the tool (it must fail clearly, after preparing its host files);
and WrappedLauncher, which needs no tool, is run end to end.
"""

from __future__ import annotations

import logging
import os
import shlex
import shutil
import subprocess
from pathlib import Path

import pytest

from parsl.errors import ConfigurationError
from parsl.launchers.base import Launcher
from parsl.launchers.hpc import (
    AprunLauncher,
    GnuParallelLauncher,
    JsrunLauncher,
    MpiExecLauncher,
    MpiRunLauncher,
    SrunLauncher,
    SrunMPILauncher,
    WrappedLauncher,
)

ONLINE = str(os.sysconf("SC_NPROCESSORS_ONLN"))
REPORT = 'echo "rank=$PARSL_WORKER_RANK cores=$CORES" "it\'s" \'"quoted"\''


def copy_script(rendered: str) -> list[str]:
    """The bash argv (``bash -c SCRIPT [args...]``) the launcher tool is told to run."""
    tokens = shlex.split(rendered)
    at = tokens.index("-c")
    return [tokens[at - 1], *tokens[at : at + 2]]


def run(
    argv: list[str], env: dict[str, str], cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        argv, env=env, cwd=cwd, capture_output=True, text=True, timeout=30, check=False
    )


def base_env() -> dict[str, str]:
    return {"PATH": os.environ["PATH"], "HOME": os.environ.get("HOME", "/tmp")}


@pytest.mark.parametrize(
    ("launcher", "tool_env", "extra_args", "expected"),
    [
        (
            SrunLauncher(),
            {"SLURM_PROCID": "4", "SLURM_CPUS_ON_NODE": "7"},
            [],
            "rank=4 cores=7",
        ),
        (SrunLauncher(), {}, [], f"rank=0 cores={ONLINE}"),
        (SrunMPILauncher(), {"SLURM_CPUS_ON_NODE": "3"}, ["parsl-worker", "5"], "rank=5 cores=3"),
        (AprunLauncher(), {"ALPS_APP_PE": "9"}, [], f"rank=9 cores={ONLINE}"),
        (JsrunLauncher(), {"JSM_NAMESPACE_RANK": "2"}, [], f"rank=2 cores={ONLINE}"),
        (MpiExecLauncher(), {"PMI_RANK": "3"}, [], f"rank=3 cores={ONLINE}"),
        (MpiExecLauncher(), {"OMPI_COMM_WORLD_RANK": "1"}, [], f"rank=1 cores={ONLINE}"),
        (MpiRunLauncher(), {"PMIX_RANK": "6"}, [], f"rank=6 cores={ONLINE}"),
        (GnuParallelLauncher(), {}, ["parsl-worker", "4"], f"rank=4 cores={ONLINE}"),
    ],
    ids=lambda x: type(x).__name__ if isinstance(x, Launcher) else None,
)
def test_each_copy_exports_its_rank_and_cores(
    launcher: Launcher, tool_env: dict[str, str], extra_args: list[str], expected: str
) -> None:
    argv = copy_script(launcher(REPORT, 2, 2)) + extra_args
    result = run(argv, base_env() | tool_env)
    assert result.returncode == 0, result.stderr
    assert result.stdout == f'{expected} it\'s "quoted"\n'


def minimal_path(tmp_path: Path) -> str:
    """A PATH with the few tools the scripts use, and surely no scheduler or MPI tool."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for tool in ("bash", "awk", "head", "mktemp", "getconf", "nproc", "seq", "cat"):
        found = shutil.which(tool)
        assert found is not None, tool
        (bin_dir / tool).symlink_to(found)
    return str(bin_dir)


@pytest.mark.parametrize(
    ("launcher", "tool", "exit_status"),
    [
        (SrunLauncher(), "srun", 127),
        (SrunMPILauncher(), "srun", 1),
        (AprunLauncher(), "aprun", 127),
        (JsrunLauncher(), "jsrun", 127),
        (MpiExecLauncher(), "mpiexec", 127),
        (MpiRunLauncher(), "mpirun", 127),
        (GnuParallelLauncher(), "parallel", 127),
    ],
    ids=lambda x: type(x).__name__ if isinstance(x, Launcher) else None,
)
def test_a_missing_tool_fails_the_block_clearly(
    tmp_path: Path, launcher: Launcher, tool: str, exit_status: int
) -> None:
    env = {"PATH": minimal_path(tmp_path), "TMPDIR": str(tmp_path)}
    result = run(["bash", "-c", launcher("true", 2, 2)], env, cwd=tmp_path)
    assert result.returncode == exit_status
    assert f"{tool}: command not found" in result.stderr
    assert f"{type(launcher).__name__}: starting 4 " in result.stdout


def test_mpiexec_hostfile_names_each_node_tasks_per_node_times(tmp_path: Path) -> None:
    nodefile = tmp_path / "nodefile"
    # PBS repeats a node once per core; a fourth node is beyond nodes_per_block.
    nodefile.write_text("n1\nn1\nn1\nn2\nn2\nn3\nn4\n")
    env = {
        "PATH": minimal_path(tmp_path),
        "TMPDIR": str(tmp_path),
        "PBS_NODEFILE": str(nodefile),
    }
    result = run(["bash", "-c", MpiExecLauncher()("true", 2, 3)], env, cwd=tmp_path)
    assert "mpiexec: command not found" in result.stderr
    (hostfile,) = tmp_path.glob("parsl_hostfile.*")
    assert hostfile.read_text().split() == ["n1", "n1", "n2", "n2", "n3", "n3"]


def test_mpiexec_without_a_nodefile_writes_no_hostfile(tmp_path: Path) -> None:
    env = {"PATH": minimal_path(tmp_path), "TMPDIR": str(tmp_path)}
    run(["bash", "-c", MpiExecLauncher()("true", 2, 3)], env, cwd=tmp_path)
    assert list(tmp_path.glob("parsl_hostfile.*")) == []


@pytest.mark.parametrize(
    ("nodefile", "expected"), [("a\na\nb\nc\nd\n", ["a", "b", "c"]), (None, [":"])]
)
def test_gnu_parallel_sshloginfile_lists_the_block_nodes_or_this_node(
    tmp_path: Path, nodefile: str | None, expected: list[str]
) -> None:
    env = {"PATH": minimal_path(tmp_path), "TMPDIR": str(tmp_path)}
    if nodefile is not None:
        (tmp_path / "nodefile").write_text(nodefile)
        env["PBS_NODEFILE"] = str(tmp_path / "nodefile")
    run(["bash", "-c", GnuParallelLauncher()("true", 2, 3)], env, cwd=tmp_path)
    (logins,) = tmp_path.glob("parsl_sshlogins.*")
    assert logins.read_text().split() == expected


def test_wrapped_launcher_runs_the_command_once_inside_the_prefix(tmp_path: Path) -> None:
    out = tmp_path / "out"
    rendered = WrappedLauncher(prepend="env GREETING=hello")(f"printenv GREETING >> {out}", 1, 1)
    result = run(["bash", "-c", rendered], base_env())
    assert result.returncode == 0, result.stderr
    assert out.read_text() == "hello\n"


def test_wrapped_launcher_asked_for_more_copies_starts_one_and_warns(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    out = tmp_path / "out"
    with caplog.at_level(logging.WARNING, logger="parsl.launchers.hpc.wrapped"):
        rendered = WrappedLauncher(prepend="nice -n 1")(f"echo copy >> {out}", 4, 2)
    assert run(["bash", "-c", rendered], base_env()).returncode == 0
    assert out.read_text() == "copy\n"
    assert "ask for 8" in caplog.text


def test_wrapped_launcher_passes_the_exit_status_through() -> None:
    rendered = WrappedLauncher(prepend="env")("bash -c 'exit 5'", 1, 1)
    assert run(["bash", "-c", rendered], base_env()).returncode == 5


@pytest.mark.parametrize(
    ("launcher", "stem"),
    [(MpiExecLauncher(), "parsl_hostfile"), (GnuParallelLauncher(), "parsl_sshlogins")],
    ids=lambda x: type(x).__name__ if isinstance(x, Launcher) else None,
)
def test_host_files_go_to_script_dir_when_it_exists_else_tmpdir(
    tmp_path: Path, launcher: Launcher, stem: str
) -> None:
    """Parsl's providers pass their submit-script directory as a fourth argument."""
    (tmp_path / "nodefile").write_text("n1\nn2\n")
    tmpdir, scripts = tmp_path / "tmp", tmp_path / "scripts with space"
    tmpdir.mkdir()
    scripts.mkdir()
    env = {
        "PATH": minimal_path(tmp_path),
        "TMPDIR": str(tmpdir),
        "PBS_NODEFILE": str(tmp_path / "nodefile"),
    }
    run(["bash", "-c", launcher("true", 1, 2, str(scripts))], env, cwd=tmp_path)
    assert len(list(scripts.glob(f"{stem}.*"))) == 1
    assert list(tmpdir.glob(f"{stem}.*")) == []
    # A script_dir that does not exist on the node running the block: $TMPDIR, as before.
    run(["bash", "-c", launcher("true", 1, 2, str(tmp_path / "absent"))], env, cwd=tmp_path)
    assert len(list(tmpdir.glob(f"{stem}.*"))) == 1
    assert not (tmp_path / "absent").exists()


@pytest.mark.parametrize(
    "launcher",
    [
        SrunLauncher(),
        SrunMPILauncher(),
        AprunLauncher(),
        JsrunLauncher(),
        MpiRunLauncher(),
        MpiExecLauncher(),
        GnuParallelLauncher(),
        WrappedLauncher(prepend="env"),
    ],
    ids=lambda x: type(x).__name__,
)
def test_every_launcher_takes_parsl_four_argument_call(launcher: Launcher) -> None:
    with_dir = launcher("true", 2, 2, "/some/dir")
    assert with_dir.strip()
    assert launcher("true", 2, 2, Path("/some/dir")) == with_dir  # type: ignore[arg-type]
    assert launcher("true", 2, 2, script_dir="") == launcher("true", 2, 2)
    with pytest.raises(ConfigurationError, match="script_dir"):
        launcher("true", 2, 2, 42)  # type: ignore[arg-type]

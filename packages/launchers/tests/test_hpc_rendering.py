"""Exact rendering of every HPC launcher: the launch line, the exports, the debug lines."""

from __future__ import annotations

import re
import shlex
import subprocess

import pytest

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

COMMAND = "process_worker_pool.py --max_workers_per_node=4"

ALL_LAUNCHERS: list[Launcher] = [
    SrunLauncher(),
    SrunMPILauncher(),
    AprunLauncher(),
    JsrunLauncher(),
    MpiExecLauncher(),
    MpiRunLauncher(),
    GnuParallelLauncher(),
    WrappedLauncher("env"),
]


def launch_line(rendered: str, tool: str) -> str:
    """The (possibly multi-line, because of the quoted copy script) line that runs ``tool``."""
    found = re.search(rf"^\s*{tool} ", rendered, re.MULTILINE)
    assert found is not None, rendered
    tokens = shlex.split(rendered[found.start() :])
    return " ".join(tokens)


def test_srun_launcher_starts_all_copies_with_one_srun() -> None:
    rendered = SrunLauncher(overrides="--cpu-bind=none")(COMMAND, 2, 3)
    assert "export CORES=${SLURM_CPUS_ON_NODE:-" in rendered
    assert "export NODES=${SLURM_JOB_NUM_NODES:-3}" in rendered
    line = launch_line(rendered, "srun")
    assert line.startswith(
        "srun --nodes=3 --ntasks=6 --ntasks-per-node=2 -l --cpu-bind=none /bin/bash -c "
        "export PARSL_WORKER_RANK=${SLURM_PROCID:-0}\n"
    )
    assert line.endswith(f"\n{COMMAND}")
    assert rendered.count("srun ") == 1
    assert 'echo "SrunLauncher: starting 6 copies, 2 on each of $NODES nodes"' in rendered


def test_srun_mpi_launcher_starts_one_exclusive_step_per_worker() -> None:
    rendered = SrunMPILauncher(overrides="--mpi=pmix")(COMMAND, 2, 3)
    assert "PARSL_CPUS_PER_WORKER=$(( CORES / 2 ))" in rendered
    assert "for (( PARSL_RANK = 0; PARSL_RANK < 6; PARSL_RANK++ )); do" in rendered
    line = launch_line(rendered, "srun")
    assert line.startswith(
        "srun --exclusive --nodes=1 --ntasks=1 --cpus-per-task=$PARSL_CPUS_PER_WORKER "
        "--mpi=pmix /bin/bash -c export PARSL_WORKER_RANK=$1\n"
    )
    # The step runs in the background with the worker's rank as $1.
    assert 'parsl-worker "$PARSL_RANK" &\n    PARSL_PIDS+=($!)' in rendered
    assert 'if [ "$PARSL_FAILED" -ge 6 ]; then' in rendered


def test_aprun_launcher_sets_total_and_per_node_counts() -> None:
    rendered = AprunLauncher(overrides="-cc depth")(COMMAND, 4, 2)
    line = launch_line(rendered, "aprun")
    assert line.startswith(
        "aprun -n 8 -N 4 -cc depth /bin/bash -c export PARSL_WORKER_RANK=${ALPS_APP_PE:-0}\n"
    )
    assert line.endswith(COMMAND)


def test_jsrun_launcher_asks_for_one_resource_set_per_copy() -> None:
    rendered = JsrunLauncher(overrides="--smpiargs=off")(COMMAND, 3, 2)
    line = launch_line(rendered, "jsrun")
    assert line.startswith(
        "jsrun -n 6 -r 3 --smpiargs=off /bin/bash -c "
        "export PARSL_WORKER_RANK=${JSM_NAMESPACE_RANK:-${OMPI_COMM_WORLD_RANK:-0}}\n"
    )


def test_mpiexec_launcher_binds_and_uses_the_hostfile() -> None:
    rendered = MpiExecLauncher(overrides="--verbose")(COMMAND, 2, 3)
    line = launch_line(rendered, "mpiexec")
    assert line.startswith(
        "mpiexec -n 6 --bind-to none ${PARSL_HOST_ARGS[@]} --verbose /bin/bash -c "
        "export PARSL_WORKER_RANK=${PMI_RANK:-${OMPI_COMM_WORLD_RANK:-${PMIX_RANK:-0}}}\n"
    )
    assert '"$PBS_NODEFILE" | head -n 3' in rendered
    assert "for (i = 0; i < 2; i++) print" in rendered
    assert 'PARSL_HOST_ARGS=(-hostfile "$PARSL_HOSTFILE")' in rendered


@pytest.mark.parametrize(
    ("bind_cmd", "expected"),
    [("-bind-to", "mpiexec -n 2 -bind-to none "), ("", "mpiexec -n 2 ${PARSL_HOST_ARGS[@]} ")],
)
def test_mpiexec_launcher_bind_cmd(bind_cmd: str, expected: str) -> None:
    rendered = MpiExecLauncher(bind_cmd=bind_cmd)(COMMAND, 2, 1)
    assert launch_line(rendered, "mpiexec").startswith(expected)


def test_mpirun_launcher_uses_np_and_the_given_bash() -> None:
    rendered = MpiRunLauncher(bash_location="/opt/my bash/bin/bash", overrides="-x PATH")(
        COMMAND, 2, 2
    )
    assert "mpirun -np 4 -x PATH '/opt/my bash/bin/bash' -c 'export PARSL_WORKER_RANK" in rendered
    line = launch_line(rendered, "mpirun")
    assert line.startswith("mpirun -np 4 -x PATH /opt/my bash/bin/bash -c export PARSL_WORKER")


def test_gnu_parallel_launcher_spreads_copies_over_the_nodes() -> None:
    rendered = GnuParallelLauncher()(COMMAND, 2, 3)
    line = launch_line(rendered, "parallel")
    assert line.startswith(
        "parallel --quote --jobs 2 --sshloginfile $PARSL_SSHLOGINFILE --workdir $PWD "
        "--line-buffer /bin/bash -c export PARSL_WORKER_RANK=$1\n"
    )
    assert line.endswith(f"{COMMAND} parsl-worker ::: $(seq 0 5)")
    assert '"$PBS_NODEFILE" | head -n 3 > "$PARSL_SSHLOGINFILE"' in rendered
    assert 'scontrol show hostnames "$SLURM_JOB_NODELIST" | head -n 3' in rendered
    assert 'echo ":" > "$PARSL_SSHLOGINFILE"' in rendered


def test_wrapped_launcher_prepends() -> None:
    assert WrappedLauncher("apptainer exec img.sif")(COMMAND, 1, 1) == (
        f"apptainer exec img.sif {COMMAND}"
    )
    assert WrappedLauncher("")(COMMAND, 1, 1) == COMMAND


def test_the_command_is_passed_on_unchanged_inside_the_copy_script() -> None:
    tricky = 'echo "it\'s" \'a "test"\' $HOME `date` \\\nnext-line'
    for launcher in ALL_LAUNCHERS[:-1]:
        tokens = shlex.split(launcher(tricky, 2, 2))
        script = tokens[tokens.index("-c") + 1]
        assert script.endswith("\n" + tricky), type(launcher).__name__


@pytest.mark.parametrize("launcher", ALL_LAUNCHERS, ids=lambda x: type(x).__name__)
def test_every_rendering_is_valid_bash(launcher: Launcher) -> None:
    rendered = launcher(COMMAND, 2, 3)
    check = subprocess.run(
        ["bash", "-n"], input=rendered, capture_output=True, text=True, timeout=10, check=False
    )
    assert check.returncode == 0, check.stderr


@pytest.mark.parametrize("launcher", ALL_LAUNCHERS[:-1], ids=lambda x: type(x).__name__)
def test_debug_false_renders_no_echo(launcher: Launcher) -> None:
    quiet = type(launcher)(debug=False)
    assert f'echo "{type(launcher).__name__}: ' not in quiet(COMMAND, 2, 3)
    assert f'echo "{type(launcher).__name__}: ' in launcher(COMMAND, 2, 3)


@pytest.mark.parametrize(
    ("launcher", "expected"),
    [
        (SrunLauncher(overrides="-A x"), "SrunLauncher(debug=True, overrides='-A x')"),
        (SrunMPILauncher(debug=False), "SrunMPILauncher(debug=False, overrides='')"),
        (AprunLauncher(), "AprunLauncher(debug=True, overrides='')"),
        (JsrunLauncher(), "JsrunLauncher(debug=True, overrides='')"),
        (
            MpiExecLauncher(),
            "MpiExecLauncher(debug=True, bind_cmd='--bind-to', overrides='')",
        ),
        (
            MpiRunLauncher(),
            "MpiRunLauncher(debug=True, bash_location='/bin/bash', overrides='')",
        ),
        (GnuParallelLauncher(), "GnuParallelLauncher(debug=True)"),
        (WrappedLauncher("time"), "WrappedLauncher(prepend='time', debug=True)"),
    ],
)
def test_reprs_show_every_option(launcher: Launcher, expected: str) -> None:
    assert repr(launcher) == expected


def test_which_launchers_start_one_copy_per_block() -> None:
    """MPI mode accepts only these: one manager per block, whatever nodes_per_block."""
    from parsl.launchers import SimpleLauncher, SingleNodeLauncher

    one = [SimpleLauncher(), SingleNodeLauncher(), WrappedLauncher("env")]
    many = [launcher for launcher in ALL_LAUNCHERS if not isinstance(launcher, WrappedLauncher)]
    assert all(launcher.one_copy_per_block for launcher in one)
    assert not any(launcher.one_copy_per_block for launcher in many)
    # what each one writes agrees: one copy of the command on a 4-node block
    assert WrappedLauncher("env")("cmd", 1, 4).count("cmd") == 1
    assert SimpleLauncher()("cmd", 1, 4).count("cmd") == 1

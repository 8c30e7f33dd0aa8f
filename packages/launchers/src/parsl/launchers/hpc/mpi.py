"""MPI launchers: ``mpiexec`` with a per-node hostfile, and plain ``mpirun``."""

from __future__ import annotations

from parsl.launchers.hpc._common import (
    ONLINE_CORES,
    HPCLauncher,
    bash_c,
    check_shape,
    check_text,
    copy_script,
    words,
)

#: The copy's rank under MPICH/Hydra (PMI_RANK), Open MPI or PMIx.
MPI_RANK = "${PMI_RANK:-${OMPI_COMM_WORLD_RANK:-${PMIX_RANK:-0}}}"


class MpiExecLauncher(HPCLauncher):
    """Starts ``tasks_per_node`` copies on every node of the block with one ``mpiexec``.

    When the scheduler provides ``$PBS_NODEFILE``, the script writes a
    hostfile naming each of the block's first ``nodes_per_block`` distinct
    nodes ``tasks_per_node`` times and passes it with ``-hostfile``;
    otherwise ``mpiexec`` places the copies itself. Each copy sees
    ``PARSL_WORKER_RANK`` (its MPI rank) and ``CORES``.

    Args:
        debug: echo what is started into the block's stdout.
        bind_cmd: the option that sets process binding; the script passes
            ``<bind_cmd> none``. Empty leaves binding to ``mpiexec``.
        overrides: extra ``mpiexec`` arguments, inserted before the command.
    """

    _options = ("debug", "bind_cmd", "overrides")

    def __init__(
        self, debug: bool = True, bind_cmd: str = "--bind-to", overrides: str = ""
    ) -> None:
        super().__init__(debug=debug)
        self.bind_cmd = check_text("bind_cmd", bind_cmd)
        self.overrides = check_text("overrides", overrides)

    def __call__(self, command: str, tasks_per_node: int, nodes_per_block: int) -> str:
        check_shape(command, tasks_per_node, nodes_per_block)
        total = tasks_per_node * nodes_per_block
        script = copy_script(command, MPI_RANK, ONLINE_CORES)
        launch = words(
            "mpiexec",
            f"-n {total}",
            f"{self.bind_cmd} none" if self.bind_cmd.strip() else "",
            '"${PARSL_HOST_ARGS[@]}"',
            self.overrides,
            bash_c("/bin/bash", script),
        )
        return (
            "PARSL_HOST_ARGS=()\n"
            'if [ -n "${PBS_NODEFILE:-}" ] && [ -f "$PBS_NODEFILE" ]; then\n'
            '    PARSL_HOSTFILE=$(mktemp "${TMPDIR:-/tmp}/parsl_hostfile.XXXXXX")\n'
            f"    awk '!seen[$0]++' \"$PBS_NODEFILE\" | head -n {nodes_per_block} \\\n"
            f"        | awk '{{ for (i = 0; i < {tasks_per_node}; i++) print }}' "
            '> "$PARSL_HOSTFILE"\n'
            '    PARSL_HOST_ARGS=(-hostfile "$PARSL_HOSTFILE")\n'
            "fi\n"
            + self.echo(f"starting {total} copies, {tasks_per_node} per node")
            + launch
            + "\n"
        )


class MpiRunLauncher(HPCLauncher):
    """Starts ``tasks_per_node * nodes_per_block`` copies with ``mpirun -np``.

    Each copy runs under ``bash_location`` and sees ``PARSL_WORKER_RANK``
    (its MPI rank) and ``CORES``.

    Args:
        debug: echo what is started into the block's stdout.
        bash_location: the bash that runs each copy (default ``/bin/bash``).
        overrides: extra ``mpirun`` arguments, inserted before the command.
    """

    _options = ("debug", "bash_location", "overrides")

    def __init__(
        self, debug: bool = True, bash_location: str = "/bin/bash", overrides: str = ""
    ) -> None:
        super().__init__(debug=debug)
        self.bash_location = check_text("bash_location", bash_location, allow_empty=False)
        self.overrides = check_text("overrides", overrides)

    def __call__(self, command: str, tasks_per_node: int, nodes_per_block: int) -> str:
        check_shape(command, tasks_per_node, nodes_per_block)
        total = tasks_per_node * nodes_per_block
        script = copy_script(command, MPI_RANK, ONLINE_CORES)
        launch = words("mpirun", f"-np {total}", self.overrides, bash_c(self.bash_location, script))
        return self.echo(f"starting {total} copies") + launch + "\n"

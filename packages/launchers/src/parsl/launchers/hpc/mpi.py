"""MPI launchers: ``mpiexec`` with a per-node hostfile, and plain ``mpirun``."""

from __future__ import annotations

from parsl.argument_checks import check_text
from parsl.launchers.hpc._common import (
    IF_PBS_NODEFILE,
    BlockShape,
    ToolLauncher,
    first_pbs_nodes,
    temp_file,
)
from parsl.typecheck import typechecked

#: The copy's rank under MPICH/Hydra (PMI_RANK), Open MPI or PMIx.
MPI_RANK = "${PMI_RANK:-${OMPI_COMM_WORLD_RANK:-${PMIX_RANK:-0}}}"


class MpiExecLauncher(ToolLauncher):
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
    _rank = MPI_RANK

    @typechecked
    def __init__(
        self, debug: bool = True, bind_cmd: str = "--bind-to", overrides: str = ""
    ) -> None:
        super().__init__(debug=debug, overrides=overrides)
        self.bind_cmd = check_text("bind_cmd", bind_cmd)

    def _tool_words(self, shape: BlockShape) -> tuple[str, ...]:
        return (
            "mpiexec",
            f"-n {shape.copies}",
            f"{self.bind_cmd} none" if self.bind_cmd.strip() else "",
            '"${PARSL_HOST_ARGS[@]}"',
        )

    def _prepare(self, shape: BlockShape) -> str:
        return (
            "PARSL_HOST_ARGS=()\n"
            + IF_PBS_NODEFILE
            + f"    PARSL_HOSTFILE={temp_file('parsl_hostfile', shape.script_dir)}\n"
            + f"    {first_pbs_nodes(shape.nodes_per_block)} \\\n"
            + f"        | awk '{{ for (i = 0; i < {shape.tasks_per_node}; i++) print }}' "
            + '> "$PARSL_HOSTFILE"\n'
            + '    PARSL_HOST_ARGS=(-hostfile "$PARSL_HOSTFILE")\n'
            + "fi\n"
        )


class MpiRunLauncher(ToolLauncher):
    """Starts ``tasks_per_node * nodes_per_block`` copies with ``mpirun -np``.

    Each copy runs under ``bash_location`` and sees ``PARSL_WORKER_RANK``
    (its MPI rank) and ``CORES``.

    Args:
        debug: echo what is started into the block's stdout.
        bash_location: the bash that runs each copy (default ``/bin/bash``).
        overrides: extra ``mpirun`` arguments, inserted before the command.
    """

    _options = ("debug", "bash_location", "overrides")
    _rank = MPI_RANK

    @typechecked
    def __init__(
        self, debug: bool = True, bash_location: str = "/bin/bash", overrides: str = ""
    ) -> None:
        super().__init__(debug=debug, overrides=overrides)
        self.bash_location = check_text("bash_location", bash_location, allow_empty=False)

    def _tool_words(self, shape: BlockShape) -> tuple[str, ...]:
        return ("mpirun", f"-np {shape.copies}")

    def _bash(self) -> str:
        return self.bash_location

    def _announce(self, shape: BlockShape) -> str:
        return f"starting {shape.copies} copies"

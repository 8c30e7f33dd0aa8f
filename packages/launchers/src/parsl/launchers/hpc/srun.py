"""Slurm launchers: one ``srun`` for all copies, or one ``srun`` per worker."""

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

SLURM_CORES = f"${{SLURM_CPUS_ON_NODE:-{ONLINE_CORES}}}"


class SrunLauncher(HPCLauncher):
    """Starts ``tasks_per_node`` copies on every node of the block with a single ``srun``.

    Each copy sees ``PARSL_WORKER_RANK`` (Slurm's ``SLURM_PROCID``) and
    ``CORES`` (``SLURM_CPUS_ON_NODE``). The block script also exports
    ``CORES`` and ``NODES`` for code in ``worker_init``.

    Args:
        debug: echo what is started into the block's stdout.
        overrides: extra ``srun`` arguments, inserted before the command.
    """

    _options = ("debug", "overrides")

    def __init__(self, debug: bool = True, overrides: str = "") -> None:
        super().__init__(debug=debug)
        self.overrides = check_text("overrides", overrides)

    def __call__(self, command: str, tasks_per_node: int, nodes_per_block: int) -> str:
        check_shape(command, tasks_per_node, nodes_per_block)
        total = tasks_per_node * nodes_per_block
        script = copy_script(command, "${SLURM_PROCID:-0}", SLURM_CORES)
        launch = words(
            "srun",
            f"--nodes={nodes_per_block}",
            f"--ntasks={total}",
            f"--ntasks-per-node={tasks_per_node}",
            "-l",
            self.overrides,
            bash_c("/bin/bash", script),
        )
        return (
            f"export CORES={SLURM_CORES}\n"
            f"export NODES=${{SLURM_JOB_NUM_NODES:-{nodes_per_block}}}\n"
            + self.echo(f"starting {total} copies, {tasks_per_node} on each of $NODES nodes")
            + launch
            + "\n"
        )


class SrunMPILauncher(HPCLauncher):
    """Starts each worker with its own ``srun`` step, so MPI apps it runs get their own slots.

    Use it instead of :class:`SrunLauncher` when one block runs several MPI
    applications at once. ``tasks_per_node * nodes_per_block`` workers start,
    each as an exclusive one-task step of ``CORES / tasks_per_node`` cpus.
    Each sees ``PARSL_WORKER_RANK`` (its index) and ``CORES``. The block
    script waits for every worker and fails only when all of them failed.

    Args:
        debug: echo what is started into the block's stdout.
        overrides: extra ``srun`` arguments for every step.
    """

    _options = ("debug", "overrides")

    def __init__(self, debug: bool = True, overrides: str = "") -> None:
        super().__init__(debug=debug)
        self.overrides = check_text("overrides", overrides)

    def __call__(self, command: str, tasks_per_node: int, nodes_per_block: int) -> str:
        check_shape(command, tasks_per_node, nodes_per_block)
        total = tasks_per_node * nodes_per_block
        # The worker's rank arrives as $1, so it does not depend on srun's --export.
        script = copy_script(command, "$1", SLURM_CORES)
        launch = words(
            "srun",
            "--exclusive",
            "--nodes=1",
            "--ntasks=1",
            "--cpus-per-task=$PARSL_CPUS_PER_WORKER",
            self.overrides,
            bash_c("/bin/bash", script),
            "parsl-worker",
            '"$PARSL_RANK"',
        )
        return (
            f"export CORES={SLURM_CORES}\n"
            f"PARSL_CPUS_PER_WORKER=$(( CORES / {tasks_per_node} ))\n"
            '[ "$PARSL_CPUS_PER_WORKER" -ge 1 ] || PARSL_CPUS_PER_WORKER=1\n'
            + self.echo(
                f"starting {total} workers, one srun step of $PARSL_CPUS_PER_WORKER cpus each"
            )
            + "PARSL_PIDS=()\n"
            f"for (( PARSL_RANK = 0; PARSL_RANK < {total}; PARSL_RANK++ )); do\n"
            f"    {launch} &\n"
            "    PARSL_PIDS+=($!)\n"
            "done\n"
            "PARSL_FAILED=0\n"
            'for PARSL_PID in "${PARSL_PIDS[@]}"; do\n'
            '    wait "$PARSL_PID" || PARSL_FAILED=$(( PARSL_FAILED + 1 ))\n'
            "done\n"
            + self.echo(f"$PARSL_FAILED of {total} workers failed")
            + f'if [ "$PARSL_FAILED" -ge {total} ]; then\n'
            "    exit 1\n"
            "fi\n"
        )
